"""xwiz: keyless authentication between AWS and Google Cloud, set up and diagnosed."""

"""`python -m infra.package <outdir>`: deployable CloudFormation for every service (see `build.py`)."""

"""The analysis of 0.4 (one count model, Poisson errors, a mixture of fixed alternatives), retired from
the workflow in 0.6: kept here, unchanged, as the baseline analysis_quality.py measures 0.5's against."""

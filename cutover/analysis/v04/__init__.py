"""The analysis of migrations started on 0.4 (one count model, Poisson errors, a mixture of fixed
alternatives): kept, unchanged, so those migrations end as they began and their histories replay."""

"""A result set in the formats of other tools' dashboards and trackers:

    python3 -m harness.output.export SET... --format F [--direction D]
        [--out FILE]

    bmf                      Bencher Metric Format (bmf.py)
    github-action-benchmark  customBiggerIsBetter/customSmallerIsBetter
                             arrays, one direction per file (gab.py)
    kcidb                    KCIDB v4 checkouts, builds and tests (kcidb.py)
    csv                      one row per set for Apache Otava, with the
                             metrics' directions in FILE's sidecar
                             <stem>.otava.yaml (otava_csv.py)

Every format is built from the same rows (rows.py): one per measure and
variant, with the median of its runs and the 95% bootstrap CI that
summary.json holds (stats.estimate), and the direction that
harness/metrics.py declares for its quantity.
"""

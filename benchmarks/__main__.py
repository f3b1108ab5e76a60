"""`python -m benchmarks ...` runs the side-by-side comparison (benchmarks/compare.py)."""

from absl import app

from benchmarks import compare

if __name__ == "__main__":
    compare.define_flags()
    app.run(compare.main)

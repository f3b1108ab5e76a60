"""`python -m experiments` lists every experiment with its one-line description."""

import experiments

if __name__ == "__main__":
    print(experiments.listing())

"""`python -m experiments` lists every experiment with its one-line description."""

import experiments

if __name__ == "__main__":
    descriptions = experiments.describe()
    width = max(map(len, descriptions))
    for name, line in descriptions.items():
        print(f"{name:<{width}}  {line}")

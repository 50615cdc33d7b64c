"""Spending a share of the migration's alpha over the steps that start tests: most on the first."""


def over_steps(alpha: float, steps: list[int], first_share: float) -> dict[int, float]:
    """Step index -> its share: `first_share` of alpha to the first, the rest evenly to the others.
    The shares add up to alpha (a union bound over the tests keeps the whole within it)."""
    if len(steps) <= 1:
        return {step: alpha for step in steps}
    later = alpha * (1 - first_share) / (len(steps) - 1)
    return {step: alpha * first_share if n == 0 else later for n, step in enumerate(steps)}

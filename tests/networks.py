"""Small graphs of the seeds shared by several test files."""

from __future__ import annotations

from microgradnet import Value


def seed001() -> tuple[Value, Value, Value, Value]:
    """L = (x·w + b)² at x = 2, w = 3, b = 1, after backward (the notes' worked example)."""
    x, w, b = Value(2.0, "x"), Value(3.0, "w"), Value(1.0, "b")
    L = (x * w + b) ** 2
    L.label = "L"
    L.backward()
    return x, w, b, L


def mashas_network() -> Value:
    """L = ½(y − ŷ)², ŷ = σ(σ(x·w1)·w2)·w3 at x = 1.5, y = 0.2, w = (0.8, −1.2, 1.5), every
    node named as in notebook 02 (x and y leaves too); before backward."""
    x, y = Value(1.5, "x"), Value(0.2, "y")
    w1, w2, w3 = Value(0.8, "w1"), Value(-1.2, "w2"), Value(1.5, "w3")
    h1 = x * w1
    o1 = h1.sigmoid()
    h2 = o1 * w2
    o2 = h2.sigmoid()
    y_hat = o2 * w3
    L = 0.5 * (y - y_hat) ** 2
    for v, name in [(h1, "h1"), (o1, "o1"), (h2, "h2"), (o2, "o2"), (y_hat, "ŷ"), (L, "L")]:
        v.label = name
    return L


def two_uses() -> Value:
    """L = u·z + u·v with u = x·y at x = 2, y = 3, z = 5, v = 2: ∂L/∂u = z + v = 7 sums the
    two uses of u, and x gets y·7 = 21; before backward."""
    x, y, z, v = Value(2.0, "x"), Value(3.0, "y"), Value(5.0, "z"), Value(2.0, "v")
    u = x * y
    u.label = "u"
    a, b = u * z, u * v
    a.label, b.label = "a", "b"
    L = a + b
    L.label = "L"
    return L


def masha(x: float, y: float, w: tuple[float, float, float]) -> dict[str, Value]:
    """Seed 002: y_hat = f(f(x·w1)·w2)·w3 with f = sigmoid, L = ½(y - y_hat)²."""
    w1, w2, w3 = (Value(v, f"w{i}") for i, v in enumerate(w, 1))
    h1 = x * w1
    o1 = h1.sigmoid()
    h2 = o1 * w2
    o2 = h2.sigmoid()
    y_hat = o2 * w3
    L = 0.5 * (y - y_hat) ** 2
    for name, v in [("h1", h1), ("o1", o1), ("h2", h2), ("o2", o2), ("y_hat", y_hat), ("L", L)]:
        v.label = name
    return {
        "w1": w1,
        "w2": w2,
        "w3": w3,
        "h1": h1,
        "o1": o1,
        "h2": h2,
        "o2": o2,
        "y_hat": y_hat,
        "L": L,
    }

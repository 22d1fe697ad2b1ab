"""Honest Dual classes in many styles, for the similarity benchmark (and its test).

A student's class is drawn from choices a real class of students makes independently: how
an operand that is a plain number is lifted (inline isinstance, a helper, getattr, or
reassigning it), how the reflected operators are written, subtraction and division by the
rules or from other operators, the order of the factors in each rule, the elementary
functions as methods, through one chain-rule helper or through `__array_ufunc__`, the bonus
comparisons and powers, local variables or not, and the names. `style(rng)` draws the
choices, `dual_class(choices)` writes the class; two students with the same choices write
the same code (the benchmark draws distinct ones).
"""

from __future__ import annotations

import random
import re

HEADER = '''class Dual:
    """A dual number value + derivative * eps, with eps**2 = 0."""

    def __init__(self, value, derivative=0.0):
        self.value = value
        self.derivative = derivative

    def __repr__(self):
        return f"Dual({self.value!r}, {self.derivative!r})"
'''

LIFTS = ("inline", "helper", "reassign", "getattr")
OTHER_NAMES = ("other", "o", "y", "rhs", "b")
FUNCTIONS = {  # name: (value, derivative of the argument `v`)
    "exp": ("np.exp(v)", "np.exp(v)"),
    "log": ("np.log(v)", "1 / v"),
    "sin": ("np.sin(v)", "np.cos(v)"),
    "cos": ("np.cos(v)", "-np.sin(v)"),
    "sqrt": ("np.sqrt(v)", "0.5 / np.sqrt(v)"),
}
# (value, derivative) of a binary operation on (a, da) and (b, db), in the ways people write them
RULES = {
    "add": [("a + b", "da + db"), ("a + b", "db + da")],
    "sub": [("a - b", "da - db"), ("a - b", "-db + da")],
    "mul": [("a * b", "da * b + a * db"), ("a * b", "a * db + da * b"), ("a * b", "b * da + a * db")],
    "div": [
        ("a / b", "(da * b - a * db) / b ** 2"),
        ("a / b", "da / b - a * db / b ** 2"),
        ("a / b", "(b * da - a * db) / (b * b)"),
    ],
}
OPERATOR = {"add": "__add__", "sub": "__sub__", "mul": "__mul__", "div": "__truediv__"}


def style(rng: random.Random) -> dict:
    """One student's choices, each made independently (people are inconsistent)."""
    weighted = lambda options, weights: rng.choices(options, weights)[0]  # noqa: E731
    c = {
        "lift_per_method": {op: weighted(LIFTS, (35, 20, 25, 20)) for op in RULES},
        "rule": {op: rng.randrange(len(forms)) for op, forms in RULES.items()},
        "swap_value": {op: rng.random() < 0.2 for op in RULES},
        "locals": {op: weighted(("none", "result", "unpack"), (60, 25, 15)) for op in RULES},
        "sub_from_add": rng.random() < 0.3,
        "div_from_mul": rng.random() < 0.25,
        "reflected": {
            op: weighted(("call", "alias", "method", "formula"), (20, 20, 40, 20)) for op in ("add", "mul")
        },
        "rsub": rng.choice(("formula", "neg_add", "lift_sub")),
        "rtruediv": rng.choice(("formula", "lift_div", "power")),
        "neg": weighted(("formula", "times", "zero_minus"), (60, 25, 15)),
        "pow": rng.choice(("plain", "plain_swapped", "bonus", "bonus_log_first")),  # ufunc: a bonus one
        "rpow": rng.choice((None, "formula", "lift_pow")),
        "functions": weighted(("methods", "chain", "ufunc"), (70, 15, 15)),
        "function_form": {
            f: weighted(("direct", "local", "swapped", "unpack"), (40, 25, 20, 15)) for f in FUNCTIONS
        },
        "compare": rng.choice((None, "inline", "helper", "ordering")),
        "constructor": weighted(("Dual", "type(self)", "self.__class__"), (70, 15, 15)),
        "zero": rng.choice(("0.0", "0")),
        "other": rng.choice(OTHER_NAMES),
    }
    if c["functions"] == "ufunc" and c["pow"].startswith("plain"):  # np.power(x, Dual) needs the bonus rule
        c["pow"] = "bonus"
    if c["sub_from_add"] and c["neg"] == "zero_minus":  # -x = 0 - x = 0 + (-x) = ... never ends
        c["neg"] = "formula"
    return c


def _lifted(lift: str, o: str) -> tuple[list[str], str, str]:
    """(lines that prepare operand `o`, its value, its derivative) in one lifting style."""
    if lift == "helper":
        return [f"{o} = Dual.lift({o})"], f"{o}.value", f"{o}.derivative"
    if lift == "reassign":
        return (
            [f"if not isinstance({o}, Dual):", f"    {o} = Dual({o}, 0.0)"],
            f"{o}.value",
            f"{o}.derivative",
        )
    if lift == "getattr":
        return (
            [
                f"other_value = getattr({o}, 'value', {o})",
                f"other_derivative = getattr({o}, 'derivative', 0.0)",
            ],
            "other_value",
            "other_derivative",
        )
    return [], "", ""  # inline: two branches


def _binary(op: str, c: dict) -> list[str]:
    o = c["other"]
    value, deriv = RULES[op][c["rule"][op]]
    lift = c["lift_per_method"][op]
    lines = [f"def {OPERATOR[op]}(self, {o}):"]

    if c["swap_value"][op] and op in ("add", "mul"):
        value = {"add": "b + a", "mul": "b * a"}[op]
    unpack = c["locals"][op] == "unpack"

    def ret(b, db):
        names = {
            "a": "u" if unpack else "self.value",
            "da": "du" if unpack else "self.derivative",
            "b": b,
            "db": db,
        }
        v, d = (re.sub(r"\b(da|db|a|b)\b", lambda m: names[m.group(1)], e) for e in (value, deriv))
        if c["locals"][op] == "result":
            return [f"new_value = {v}", f"new_derivative = {d}", "return Dual(new_value, new_derivative)"]
        return [f"return Dual({v}, {d})"]

    if unpack:
        lines.append("    u, du = self.value, self.derivative")

    if lift == "inline":
        lines += [f"    if isinstance({o}, Dual):"] + [
            f"        {x}" for x in ret(f"{o}.value", f"{o}.derivative")
        ]
        lines += [f"    {x}" for x in ret(o, "0.0")]
    else:
        prep, b, db = _lifted(lift, o)
        lines += [f"    {x}" for x in prep + ret(b, db)]
    return lines


def _methods(c: dict) -> list[list[str]]:
    o = c["other"]
    methods = [_binary("add", c), _binary("mul", c)]
    methods.append(
        [f"def __sub__(self, {o}):", f"    return self + (-{o})"] if c["sub_from_add"] else _binary("sub", c)
    )
    methods.append(
        [f"def __truediv__(self, {o}):", f"    return self * {o} ** -1"]
        if c["div_from_mul"]
        else _binary("div", c)
    )
    for op, name in (("add", "__radd__"), ("mul", "__rmul__")):
        sym = {"add": "+", "mul": "*"}[op]
        if c["reflected"][op] == "alias":
            methods.append([f"{name} = {OPERATOR[op]}"])
        elif c["reflected"][op] == "call":
            methods.append([f"def {name}(self, {o}):", f"    return self.{OPERATOR[op]}({o})"])
        elif c["reflected"][op] == "method":
            methods.append([f"def {name}(self, {o}):", f"    return self {sym} {o}"])
        else:
            d = "self.derivative" if op == "add" else f"{o} * self.derivative"
            methods.append([f"def {name}(self, {o}):", f"    return Dual({o} {sym} self.value, {d})"])
    methods.append(
        {
            "formula": [f"def __rsub__(self, {o}):", f"    return Dual({o} - self.value, -self.derivative)"],
            "neg_add": [f"def __rsub__(self, {o}):", f"    return -self + {o}"],
            "lift_sub": [f"def __rsub__(self, {o}):", f"    return Dual({o}, 0.0) - self"],
        }[c["rsub"]]
    )
    methods.append(
        {
            "formula": [
                f"def __rtruediv__(self, {o}):",
                f"    return Dual({o} / self.value, -{o} * self.derivative / self.value ** 2)",
            ],
            "lift_div": [f"def __rtruediv__(self, {o}):", f"    return Dual({o}, 0.0) / self"],
            "power": [f"def __rtruediv__(self, {o}):", f"    return {o} * self ** -1"],
        }[c["rtruediv"]]
    )
    methods.append(
        {
            "formula": ["def __neg__(self):", "    return Dual(-self.value, -self.derivative)"],
            "times": ["def __neg__(self):", "    return self * -1"],
            "zero_minus": ["def __neg__(self):", "    return Dual(0.0, 0.0) - self"],
        }[c["neg"]]
    )
    plain = {
        "plain": "p * self.value ** (p - 1) * self.derivative",
        "plain_swapped": "self.derivative * p * self.value ** (p - 1)",
    }
    if c["pow"] in plain:
        methods.append(["def __pow__(self, p):", f"    return Dual(self.value ** p, {plain[c['pow']]})"])
    elif c["pow"] == "bonus":
        methods.append(
            [
                "def __pow__(self, p):",
                "    if isinstance(p, Dual):",
                "        v = self.value ** p.value",
                "        return Dual(v, v * (p.derivative * np.log(self.value) + p.value * self.derivative / self.value))",
                "    return Dual(self.value ** p, p * self.value ** (p - 1) * self.derivative)",
            ]
        )
    else:
        methods.append(
            [
                "def __pow__(self, p):",
                "    if not isinstance(p, Dual):",
                "        return Dual(self.value ** p, p * self.value ** (p - 1) * self.derivative)",
                "    log_u = np.log(self.value)",
                "    out = np.exp(p.value * log_u)",
                "    return Dual(out, out * (p.derivative * log_u + p.value * self.derivative / self.value))",
            ]
        )
    bonus_pow = c["pow"] in ("bonus", "bonus_log_first")
    if c["rpow"] == "formula" or (c["rpow"] == "lift_pow" and not bonus_pow):
        methods.append(
            [
                "def __rpow__(self, base):",
                "    v = base ** self.value",
                "    return Dual(v, v * np.log(base) * self.derivative)",
            ]
        )
    elif c["rpow"] == "lift_pow":
        methods.append(["def __rpow__(self, base):", "    return Dual(base, 0.0) ** self"])
    methods += _functions(c) + _comparisons(c)
    if "helper" in c["lift_per_method"].values() or c["compare"] == "helper":
        methods.append(
            ["@staticmethod", "def lift(x):", "    return x if isinstance(x, Dual) else Dual(x, 0.0)"]
        )
    return methods


def _functions(c: dict) -> list[list[str]]:
    if c["functions"] == "ufunc":
        rules = ", ".join(f"np.{f}: lambda v: {d}" for f, (_, d) in FUNCTIONS.items())
        return [
            [f"_derivatives = {{{rules}}}"],
            [
                "_operators = {np.add: lambda a, b: a + b, np.subtract: lambda a, b: a - b,",
                "              np.multiply: lambda a, b: a * b, np.true_divide: lambda a, b: a / b,",
                "              np.power: lambda a, b: a ** b}",
            ],
            [
                "def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):",
                "    if method == '__call__' and len(inputs) == 2 and ufunc in self._operators:",
                "        a, b = (x if isinstance(x, Dual) else Dual(x, 0.0) for x in inputs)",
                "        return self._operators[ufunc](a, b)",
                "    if method != '__call__' or ufunc not in self._derivatives or len(inputs) != 1:",
                "        return NotImplemented",
                "    return Dual(ufunc(self.value), self._derivatives[ufunc](self.value) * self.derivative)",
            ],
        ]
    out = []
    if c["functions"] == "chain":
        out.append(
            ["def _chain(self, f, df):", "    return Dual(f(self.value), df(self.value) * self.derivative)"]
        )
    for f, (value, deriv) in FUNCTIONS.items():
        if c["functions"] == "chain":
            out.append([f"def {f}(self):", f"    return self._chain(lambda v: {value}, lambda v: {deriv})"])
            continue
        form = c["function_form"][f]
        if form == "unpack":
            out.append(
                [
                    f"def {f}(self):",
                    "    x, dx = self.value, self.derivative",
                    f"    return Dual({value.replace('v', 'x')}, {deriv.replace('v', 'x')} * dx)",
                ]
            )
        elif form == "local":
            out.append(
                [
                    f"def {f}(self):",
                    "    v = self.value",
                    f"    return Dual({value}, {deriv} * self.derivative)",
                ]
            )
        else:
            v, d = value.replace("v", "self.value"), deriv.replace("v", "self.value")
            d = f"{d} * self.derivative" if form == "direct" else f"self.derivative * {d}"
            out.append([f"def {f}(self):", f"    return Dual({v}, {d})"])
    return out


def _comparisons(c: dict) -> list[list[str]]:
    o, ops = c["other"], (("lt", "<"), ("le", "<="), ("gt", ">"), ("ge", ">="))
    if c["compare"] == "inline":
        return [
            [
                f"def __{n}__(self, {o}):",
                f"    return self.value {s} ({o}.value if isinstance({o}, Dual) else {o})",
            ]
            for n, s in ops
        ]
    if c["compare"] == "helper":
        return [
            [f"def __{n}__(self, {o}):", f"    return self.value {s} Dual.lift({o}).value"] for n, s in ops
        ]
    if c["compare"] == "ordering":
        return [["def _key(self, x):", "    return x.value if isinstance(x, Dual) else x"]] + [
            [f"def __{n}__(self, {o}):", f"    return self.value {s} self._key({o})"] for n, s in ops
        ]
    return []


def _personal(method: list[str], c: dict) -> list[str]:
    """A method in the student's own habits: how they make a new Dual, how they write zero."""
    if not method[0].startswith("def ") or "(self" not in method[0]:
        return method
    return [
        re.sub(r"(return |= )Dual\(", rf"\1{c['constructor']}(", line).replace("0.0", c["zero"])
        for line in method
    ]


def dual_class(c: dict) -> str:
    """The class a student with choices `c` writes (aliases such as `__radd__ = __add__` last)."""
    methods = [_personal(m, c) for m in _methods(c)]
    methods = [m for m in methods if " = " not in m[0] or m[0].startswith("_d") or m[0].startswith("_o")] + [
        m for m in methods if " = " in m[0] and m[0].startswith("__")
    ]
    body = "\n\n".join("\n".join("    " + line for line in m) for m in methods)
    return HEADER + "\n" + body + "\n"


def edited(c: dict, rng: random.Random, changes: int = 2) -> dict:
    """The choices of a copier who rewrote `changes` methods in their own way."""
    fresh = style(rng)
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in c.items()}
    parts = [(k, sub) for k, v in c.items() if isinstance(v, dict) for sub in v] + [
        (k, None) for k in ("rsub", "rtruediv", "neg", "pow", "rpow")
    ]
    for key, sub in rng.sample(parts, changes):
        if sub is None:
            out[key] = fresh[key]
        else:
            out[key][sub] = fresh[key][sub]
    if out["sub_from_add"] and out["neg"] == "zero_minus":
        out["neg"] = "formula"
    return out

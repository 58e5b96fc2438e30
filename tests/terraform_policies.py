"""The S3 statements of the Terraform IAM policy documents, read from the `.tf` files without Terraform.

Enough of HCL for the project's `data "aws_iam_policy_document"` blocks: `statement` blocks with `sid`, `actions`,
`resources` and `condition` (test, variable, values); lists of strings, `for x in [...] : "..."` lists and `sort()`;
`${var.x}` from the variable's default and the `local` names the caller gives. A statement whose resources still
hold an unknown reference after that (the Bedrock and logs ones, built from data sources) is left out: the S3
layout is what these statements are read for. The applied policies are checked in the emulator's tests.
"""

from __future__ import annotations

import re
from pathlib import Path

_REFERENCE = re.compile(r"\$\{([^}]+)\}")


def _without_comments(text: str) -> str:
    lines = []
    for line in text.splitlines():
        in_string = False
        for i, char in enumerate(line):
            if char == '"' and (i == 0 or line[i - 1] != "\\"):
                in_string = not in_string
            elif char == "#" and not in_string:
                line = line[:i]
                break
        lines.append(line)
    return "\n".join(lines)


def _block_body(text: str, open_brace: int) -> str:
    """The text between the brace at `open_brace` and its match (braces inside strings do not count)."""
    depth, in_string = 0, False
    for i in range(open_brace, len(text)):
        char = text[i]
        if char == '"' and text[i - 1] != "\\":
            in_string = not in_string
        elif not in_string and char == "{":
            depth += 1
        elif not in_string and char == "}":
            depth -= 1
            if depth == 0:
                return text[open_brace + 1 : i]
    raise ValueError("unbalanced braces")


def _blocks(text: str, header: str) -> list[tuple[str, str]]:
    """(label, body) of each block whose header matches the regex `header` (its first group is the label)."""
    found = []
    for match in re.finditer(header + r"\s*\{", text):
        found.append((match.group(1) if match.groups() else "", _block_body(text, match.end() - 1)))
    return found


def variable_defaults(module_dir: Path) -> dict[str, str]:
    text = _without_comments((module_dir / "variables.tf").read_text())
    defaults = {}
    for name, body in _blocks(text, r'(?m)^variable\s+"([^"]+)"'):
        default = re.search(r'(?m)^\s*default\s*=\s*"([^"]*)"', body)
        if default:
            defaults[name] = default.group(1)
    return defaults


def _strings(expression: str) -> list[str]:
    return re.findall(r'"((?:[^"\\]|\\.)*)"', expression)


def _list_value(expression: str, names: dict[str, str]) -> list[str]:
    """The strings of a list expression: `[...]`, `sort([...])`, `[for x in [...] : "...${x}..."]`."""
    expression = expression.strip()
    sort = re.fullmatch(r"sort\((.*)\)", expression, re.DOTALL)
    if sort:
        return sorted(_list_value(sort.group(1), names))
    comprehension = re.fullmatch(r"\[\s*for\s+(\w+)\s+in\s+\[(.*?)\]\s*:\s*(\"[^\"]*\")\s*\]", expression, re.DOTALL)
    if comprehension:
        variable, items, template = comprehension.groups()
        values = [_term(item, names) for item in _split_items(items)]
        return [_interpolate(template[1:-1], {**names, variable: value}) for value in values]
    if expression.startswith("[") and expression.endswith("]"):
        return [_term(item, names) for item in _split_items(expression[1:-1])]
    return [_term(expression, names)]


def _split_items(items: str) -> list[str]:
    parts, depth, in_string, current = [], 0, False, ""
    for i, char in enumerate(items):
        if char == '"' and (i == 0 or items[i - 1] != "\\"):
            in_string = not in_string
        if not in_string and char in "[({":
            depth += 1
        if not in_string and char in "])}":
            depth -= 1
        if char == "," and depth == 0 and not in_string:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [part.strip() for part in parts if part.strip()]


def _term(term: str, names: dict[str, str]) -> str:
    term = term.strip()
    if term.startswith('"') and term.endswith('"'):
        return _interpolate(term[1:-1], names)
    return names.get(term, "${" + term + "}")  # a bare reference: var.x, local.y


def _interpolate(template: str, names: dict[str, str]) -> str:
    return _REFERENCE.sub(lambda m: names.get(m.group(1).strip(), m.group(0)), template)


def _attribute(body: str, name: str) -> str | None:
    """The expression of `name = ...` at the statement's own level (a list may span lines)."""
    match = re.search(rf"(?m)^\s*{name}\s*=\s*", body)
    if not match:
        return None
    start, depth, in_string = match.end(), 0, False
    for i in range(start, len(body)):
        char = body[i]
        if char == '"' and body[i - 1] != "\\":
            in_string = not in_string
        elif not in_string and char in "[(":
            depth += 1
        elif not in_string and char in "])":
            depth -= 1
        elif char == "\n" and depth == 0 and not in_string:
            return body[start:i].strip()
    return body[start:].strip()


def policy_statements(module_dir: Path, document: str, locals_: dict[str, str]) -> list[dict]:
    """The resolvable statements of `data "aws_iam_policy_document" "<document>"` in the module's main.tf, as IAM
    JSON (Sid, Effect, Action, Resource, Condition). `locals_` names what `local.x` stands for."""
    names = {f"var.{k}": v for k, v in variable_defaults(module_dir).items()}
    names.update({f"local.{k}": v for k, v in locals_.items()})
    text = _without_comments((module_dir / "main.tf").read_text())
    bodies = [
        body for label, body in _blocks(text, r'data\s+"aws_iam_policy_document"\s+"([^"]+)"') if label == document
    ]
    if not bodies:
        raise ValueError(f"no policy document {document!r} in {module_dir}")
    statements = []
    for _label, body in _blocks(bodies[0], r"(?m)^\s*()statement"):
        conditions: dict[str, dict[str, list[str]]] = {}
        for _c, condition in _blocks(body, r"(?m)^\s*()condition"):
            test = _list_value(_attribute(condition, "test"), names)[0]
            variable = _list_value(_attribute(condition, "variable"), names)[0]
            conditions.setdefault(test, {})[variable] = _list_value(_attribute(condition, "values"), names)
        own = re.sub(r"(?ms)^\s*condition\s*\{.*?^\s*\}", "", body)
        resources = _list_value(_attribute(own, "resources") or '"*"', names)
        if any("${" in r for r in resources):
            continue
        statements.append(
            {
                "Sid": _list_value(_attribute(own, "sid"), names)[0],
                "Effect": "Allow",
                "Action": _list_value(_attribute(own, "actions"), names),
                "Resource": resources,
                "Condition": conditions,
            }
        )
    return statements

"""A small DOM for asserting on rendered pages (the standard library's HTML parser, no extra dependency)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

BLOCK = {
    "p",
    "li",
    "div",
    "td",
    "th",
    "tr",
    "dt",
    "dd",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "br",
    "ul",
    "ol",
    "section",
    "article",
    "table",
    "caption",
    "option",
    "label",
    "legend",
    "summary",
    "details",
}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)
    parent: Node | None = field(default=None, repr=False)

    def iter(self) -> Iterator[Node]:
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, pred: Callable[[Node], bool] | None = None, **attrs: str) -> list[Node]:
        out = []
        for node in self.iter():
            if tag is not None and node.tag != tag:
                continue
            if any(node.attrs.get(k.rstrip("_").replace("_", "-")) != v for k, v in attrs.items()):
                continue
            if pred is not None and not pred(node):
                continue
            out.append(node)
        return out

    def find(self, tag: str | None = None, **attrs: str) -> Node:
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag or '*'}> with {attrs}"
        return found[0]

    def by_id(self, ident: str) -> Node:
        found = [n for n in self.iter() if n.attrs.get("id") == ident]
        assert len(found) == 1, f"{len(found)} elements with id {ident!r}"
        return found[0]

    def has_id(self, ident: str) -> bool:
        return any(n.attrs.get("id") == ident for n in self.iter())

    @property
    def text(self) -> str:
        parts: list[str] = []

        def walk(node: Node) -> None:
            for child in node.children:
                if isinstance(child, str):
                    parts.append(child)
                elif child.tag not in ("script", "style"):
                    block = child.tag in BLOCK
                    if block:
                        parts.append(" ")
                    walk(child)
                    if block:
                        parts.append(" ")

        walk(self)
        return " ".join("".join(parts).split())

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def ancestors(self) -> Iterator[Node]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: (v if v is not None else "") for k, v in attrs}, parent=self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: (v if v is not None else "") for k, v in attrs}, parent=self.stack[-1])
        self.stack[-1].children.append(node)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str | bytes) -> Node:
    builder = _Builder()
    builder.feed(html.decode() if isinstance(html, bytes) else html)
    builder.close()
    return builder.root


def accessibility_basics(doc: Node) -> list[str]:
    """The WCAG basics every dashboard page must meet; returns the problems found (empty when none)."""
    problems = []
    html = doc.find("html")
    if not html.attrs.get("lang"):
        problems.append("no lang attribute on <html>")
    mains = doc.find_all("main")
    if len(mains) != 1 or mains[0].attrs.get("id") != "main":
        problems.append("not exactly one <main id=main>")
    skip = doc.find_all("a", pred=lambda a: a.attrs.get("href") == "#main")
    if not skip:
        problems.append("no skip link to #main")
    levels = [int(n.tag[1]) for n in doc.iter() if n.tag in ("h1", "h2", "h3", "h4", "h5", "h6")]
    if not levels or levels[0] != 1 or levels.count(1) != 1:
        problems.append(f"headings do not start with one h1: {levels}")
    for a, b in itertools.pairwise(levels):
        if b > a + 1:
            problems.append(f"heading level jumps from h{a} to h{b}")
    labelled = {n.attrs.get("for") for n in doc.find_all("label")}
    for field_node in doc.iter():
        if field_node.tag not in ("input", "select", "textarea"):
            continue
        if field_node.attrs.get("type") in ("hidden", "submit", "button"):
            continue
        if field_node.attrs.get("id") not in labelled and not any(p.tag == "label" for p in field_node.ancestors()):
            problems.append(f"<{field_node.tag} name={field_node.attrs.get('name')}> has no label")
    for bar in doc.find_all(pred=lambda n: n.attrs.get("role") == "progressbar"):
        for attr in ("aria-valuenow", "aria-valuemin", "aria-valuemax", "aria-valuetext"):
            if attr not in bar.attrs:
                problems.append(f"progressbar without {attr}")
        if not (bar.attrs.get("aria-labelledby") or bar.attrs.get("aria-label")):
            problems.append("progressbar without a label")
        elif not doc.has_id(bar.attrs.get("aria-labelledby", "")):
            problems.append("progressbar labelled by a missing id")
        now, top = float(bar.attrs.get("aria-valuenow", "0")), float(bar.attrs.get("aria-valuemax", "0"))
        if not 0 <= now <= top:
            problems.append(f"progressbar value {now} outside 0..{top}")
    for table in doc.find_all("table"):
        if not table.find_all("caption"):
            problems.append("table without caption")
        if not all(th.attrs.get("scope") for th in table.find_all("th")):
            problems.append("table header cell without scope")
    ids = [n.attrs["id"] for n in doc.iter() if "id" in n.attrs]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        problems.append(f"duplicate ids {dupes}")
    return problems

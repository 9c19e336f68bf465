"""Who emails whom: message counts between people, and the graph of the busiest of them.

A person is an address (`tools.threads.person_key`: "Dana <DANA@x.com>" -> "dana@x.com"). An
email from A to B and C (to, cc or bcc) counts one message on A->B and one on A->C; an address
listed twice on one email counts once. Volume is what a person sent plus what they received.

Pure Python (networkx): no streamlit, zenml or openai imports.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import networkx as nx

from tools.threads import person_key

Edge = tuple[str, str]


def message_counts(senders: Sequence[str], recipients: Sequence[Iterable[str]]) -> Counter[Edge]:
    """(sender, recipient) -> number of emails, over emails given as parallel columns."""
    counts: Counter[Edge] = Counter()
    for sender, to in zip(senders, recipients, strict=True):
        source = person_key(sender)
        if not source:
            continue
        for target in {person_key(r) for r in to if r}:
            if target and target != source:
                counts[(source, target)] += 1
    return counts


def volumes(counts: Counter[Edge]) -> Counter[str]:
    """person -> messages sent plus messages received."""
    volume: Counter[str] = Counter()
    for (source, target), n in counts.items():
        volume[source] += n
        volume[target] += n
    return volume


def top_graph(counts: Counter[Edge], top_n: int = 25) -> nx.DiGraph:
    """The `top_n` people by volume and the edges among them, weighted by message count; each
    node has `volume` (over the whole input, not only the edges kept)."""
    volume = volumes(counts)
    keep = {p for p, _ in sorted(volume.items(), key=lambda kv: (-kv[1], kv[0]))[:top_n]}
    graph = nx.DiGraph()
    for person in sorted(keep):
        graph.add_node(person, volume=volume[person])
    for (source, target), n in sorted(counts.items()):
        if source in keep and target in keep:
            graph.add_edge(source, target, weight=n)
    return graph


def layout(graph: nx.DiGraph, seed: int = 7) -> dict[str, tuple[float, float]]:
    """Node positions, the same on every call for the same graph."""
    if graph.number_of_nodes() == 0:
        return {}
    positions = nx.spring_layout(graph.to_undirected(), weight="weight", seed=seed)
    return {node: (float(x), float(y)) for node, (x, y) in positions.items()}

"""The aliases participants show under on shared screens ("Blue Otter"). Pure: the caller says
which aliases the session has handed out already."""

import secrets

ADJECTIVES = (
    "Amber", "Aqua", "Azure", "Blue", "Bold", "Brave", "Bright", "Calm", "Clever", "Coral",
    "Cosmic", "Crimson", "Daring", "Eager", "Emerald", "Fuzzy", "Gentle", "Golden", "Happy",
    "Indigo", "Jade", "Jolly", "Kind", "Lemon", "Lilac", "Lively", "Lucky", "Mellow", "Mint",
    "Misty", "Navy", "Noble", "Olive", "Orange", "Peach", "Plum", "Quick", "Quiet", "Rosy",
    "Ruby", "Sandy", "Silver", "Sky", "Sunny", "Swift", "Teal", "Violet", "Witty",
)  # fmt: skip
ANIMALS = (
    "Badger", "Bear", "Beaver", "Bison", "Cheetah", "Crane", "Dolphin", "Eagle", "Falcon",
    "Ferret", "Finch", "Fox", "Gazelle", "Gecko", "Heron", "Ibis", "Jaguar", "Koala", "Lemur",
    "Lion", "Lynx", "Marten", "Moose", "Newt", "Ocelot", "Orca", "Otter", "Owl", "Panda",
    "Panther", "Parrot", "Pelican", "Penguin", "Puffin", "Quail", "Rabbit", "Raven", "Robin",
    "Salmon", "Seal", "Sparrow", "Stork", "Swan", "Tiger", "Turtle", "Walrus", "Wolf", "Wren",
)  # fmt: skip


def alias_free(taken: set[str]) -> str:
    """A random alias not in ``taken``; once every pair is out, a numbered one ("Blue Otter 2")."""
    free = [f"{a} {b}" for a in ADJECTIVES for b in ANIMALS if f"{a} {b}" not in taken]
    if free:
        return secrets.choice(free)
    base = f"{secrets.choice(ADJECTIVES)} {secrets.choice(ANIMALS)}"
    number = 2
    while f"{base} {number}" in taken:
        number += 1
    return f"{base} {number}"

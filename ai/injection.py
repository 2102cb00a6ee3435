"""Instructions planted in course material ("Ignore previous instructions…", "You are now…",
"SYSTEM: …"): text that speaks to an AI rather than to a student. Whoever quotes material to a
model, or turns its sentences into questions, asks ``looks_like_instruction`` first."""

import re

_PATTERNS = [
    # "ignore / disregard / forget (all) (the) previous / above / prior instructions|prompt"
    r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+|any\s+)?(?:of\s+)?"
    r"(?:the\s+|your\s+|my\s+)?(?:(?:previous|prior|above|earlier|preceding|original|system)\s+)?"
    r"(?:instructions?|prompts?|directions?|guidelines?|rules you|messages?)\b",
    r"\b(?:ignore|disregard|forget)\s+(?:all\s+)?(?:the\s+)?(?:previous|prior|above|earlier|"
    r"preceding)\s+(?:text|context|rules|content)\b",
    r"\bdisregard (?:the |everything |all )?(?:above|previous|prior)\b",
    r"\byou are (?:now|no longer)\b",
    r"\bfrom now on,? (?:you|act|respond|answer)\b",
    r"\b(?:act|behave|pretend|roleplay) (?:as|like) (?:an?|the) (?:ai|assistant|model|chatbot|"
    r"system|language model)\b",
    r"(?:^|[\s\[(<])(?:system|assistant|developer)\s*(?::|\]|>)",
    r"<\|?(?:im_start|im_end|system|endoftext)\|?>",
    r"\b(?:new|updated|real|hidden|secret) (?:system )?(?:instructions?|prompt)\b",
    r"\b(?:output|print|write|generate|produce|return|respond with|reply with|say)\s+(?:only\s+)?"
    r"(?:the following|this exact|exactly|verbatim)\s+(?:\w+\s+)?(?:questions?|answers?|text|json|"
    r"response|words?)\b",
    r"\b(?:mark|make|set)\b[^.!?\n]{0,30}\b(?:as|to be) (?:the )?correct (?:answer|option)\b",
    r"\b(?:language model|large language model|llm|chatgpt|ai assistant|the assistant)\b"
    r"[^.!?\n]{0,40}\b(?:must|should|shall|will|needs? to)\b",
    r"\breveal (?:your|the) (?:system )?(?:prompt|instructions)\b",
]
_INSTRUCTION = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)


def looks_like_instruction(sentence: str) -> bool:
    """Whether ``sentence`` reads as an instruction addressed to an AI model (an attempt to
    steer whoever reads the material) rather than as course content. Deliberately narrow: the
    phrases of prompt injection, not every imperative ("Run npm install" is content)."""
    return bool(_INSTRUCTION.search(" ".join(str(sentence or "").split())))

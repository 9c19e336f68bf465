"""How specific a question word is in English at large: everyday words count for less.

A corpus's own idf is a poor guide to which question words matter when the corpus is small or
narrow: in a 400-email mailbox "behind", "earlier" or "connection" may occur in three emails and
look as rare as "Ravenwood". General English word frequencies (`wordfreq`'s Zipf scale: about 7
for "the", 5 for "company", 3 for "spreadsheet", 0 for a word it has never seen) say which words
are everyday language. `specificity` maps them to a weight: 1 for a word at or below
`SPECIFIC_ZIPF` (rare words, names, codes), falling linearly to `MIN_SPECIFICITY` at
`EVERYDAY_ZIPF` and above. The weights were chosen on the tuning half of the bundled labelled
questions (`tests.bench.eval_ranking`).

Pure Python: no streamlit, zenml or openai imports. `wordfreq`'s small English list is loaded
on first use (about 20 MB, a tenth of a second).
"""

from __future__ import annotations

from functools import lru_cache

from wordfreq import zipf_frequency

SPECIFIC_ZIPF = 4.0  # at or below: full weight ("valve" 4.1 is just above)
EVERYDAY_ZIPF = 6.5  # at or above: MIN_SPECIFICITY ("first" 6.1, "back" 6.0 are near it)
MIN_SPECIFICITY = 0.3


@lru_cache(maxsize=1 << 14)
def specificity(word: str) -> float:
    """A question word's weight, MIN_SPECIFICITY (everyday English) .. 1 (rare, names, codes)."""
    if not word.isalpha():
        return 1.0  # numbers, codes and mixed tokens ("mv7", "2023") are specific
    zipf = zipf_frequency(word.lower(), "en", wordlist="small")
    if zipf <= SPECIFIC_ZIPF:
        return 1.0
    share = min(1.0, (zipf - SPECIFIC_ZIPF) / (EVERYDAY_ZIPF - SPECIFIC_ZIPF))
    return 1.0 - (1.0 - MIN_SPECIFICITY) * share

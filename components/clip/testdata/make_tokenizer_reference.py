#!/usr/bin/env python3
"""Writes tokenizer_reference.jsonl: token ids of ~1,400 prompts from a Python
reference of OpenAI CLIP's SimpleTokenizer, for tokenizer_test.

The reference is written here from the algorithm (bytes_to_unicode, BPE over
the merges, the pre-tokenization regex with Debian's python3-regex), using
Python's own html.unescape, str.lower() and \\s. Like the C++ tokenizer it
skips ftfy.fix_text (not packaged for Debian 12). Prompts: templated
celebrity and artist names, PartiPrompts and neutral captions from
prompt-lists, sentences from the State of the Union corpus, and hand-written
edge cases (entities, emoji, CJK, accents, contractions, special tokens, long).

  apt-get install python3-regex
  python3 make_tokenizer_reference.py $WARDEN_DATA_DIR > tokenizer_reference.jsonl
"""
import glob
import gzip
import html
import json
import random
import re
import sys

import regex

data = sys.argv[1]


def byte_to_unicode():
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table, printable + [b for b in range(256) if b not in printable]


BYTES, ORDER = byte_to_unicode()
lines = gzip.open(f"{data}/clip/bpe_simple_vocab_16e6.txt.gz").read().decode("utf-8").split("\n")
MERGES = [tuple(l.split()) for l in lines[1:49152 - 256 - 2 + 1]]
RANKS = {m: i for i, m in enumerate(MERGES)}
VOCAB = [BYTES[b] for b in ORDER] + [BYTES[b] + "</w>" for b in ORDER] + ["".join(m) for m in MERGES]
VOCAB += ["<|startoftext|>", "<|endoftext|>"]
IDS = {t: i for i, t in enumerate(VOCAB)}
PATTERN = regex.compile(
    r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
    regex.IGNORECASE)


def bpe(piece):
    word = list(piece[:-1]) + [piece[-1] + "</w>"]
    while len(word) > 1:
        pairs = [(word[k], word[k + 1]) for k in range(len(word) - 1)]
        best = min(pairs, key=lambda p: RANKS.get(p, float("inf")))
        if best not in RANKS:
            break
        merged, k = [], 0
        while k < len(word):
            if k + 1 < len(word) and (word[k], word[k + 1]) == best:
                merged.append(word[k] + word[k + 1])
                k += 2
            else:
                merged.append(word[k])
                k += 1
        word = merged
    return [IDS[w] for w in word]


def encode(text):
    text = html.unescape(html.unescape(text)).strip()
    text = re.sub(r"\s+", " ", text).strip().lower()
    ids = []
    for piece in PATTERN.findall(text):
        if piece in ("<|startoftext|>", "<|endoftext|>"):
            ids.append(IDS[piece])
            continue
        ids += bpe("".join(BYTES[b] for b in piece.encode("utf-8")))
    return ids


def yaml_list(path):
    items = []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line and not line.startswith(("---", "title:", "category:", "#", " ")):
            items.append(line.strip().strip("'\""))
    return items


rng = random.Random(0)
prompts = []
celebs = yaml_list(f"{data}/prompt-lists/people/celebrity.yml")
artists = yaml_list(f"{data}/prompt-lists/artist/all.yml")
prompts += [f"a photo of {n}" for n in rng.sample(celebs, 300)]
prompts += [f"a painting in the style of {n}, trending on artstation" for n in rng.sample(artists, 300)]
prompts += rng.sample(yaml_list(f"{data}/prompt-lists/set/parti.yml"), 200)
prompts += rng.sample(yaml_list(f"{data}/prompt-lists/set/describe-subject.yml"), 200)
speeches = sorted(glob.glob(f"{data}/sotu/*.txt"))
sentences = []
for path in rng.sample(speeches, 40):
    text = open(path, encoding="utf-8").read()
    sentences += [s.strip() for s in text.split(". ") if 20 < len(s.strip()) < 300]
prompts += rng.sample(sentences, 300)
prompts += [
    "", "   ", "a photo of", "hello", "Hello World", "HELLO, world!!!", "don't", "I'LL BE BACK", "we're here",
    "you've got mail", "I'm", "she'd", "it's 'quoted'", "''s", "!'s", "rock'n'roll",
    "<|startoftext|>a cat<|endoftext|>", "<|endoftext|>", "a <|endoftext|> b",
    "Tom &amp; Jerry", "&lt;b&gt;bold&lt;/b&gt;", "&amp;amp;", "caf&eacute;", "&#39;quote&#39;",
    "&#x1F600; smile", "&#0; null", "&#128; euro", "&#xD800; surrogate", "&#99999999; big",
    "&ampx; &ampx &AMP; &notit; &notin; &#x; &#; &", "fish &chips", "&nbsp;non&nbsp;breaking",
    "tab\tand\nnewline\r\nand  spaces", "no\u00a0break\u3000ideographic\u2028line", "\u001c\u001d\u001e\u001f x",
    "emoji 😀🎉👍🏽 and 🏳️‍🌈 flags", "漢字とひらがな、カタカナ", "한국어 텍스트", "中文，标点。",
    "crème brûlée", "cre\u0300me bru\u0302le\u0301e", "İstanbul", "Straße", "ΟΔΟΣ ΣΟΦΟΣ", "Σ",
    "Ǆ ǅ ǆ", "ﬁ ligature", "ＦＵＬＬＷＩＤＴＨ １２３", "Ⅻ ½ ² ③ ٣", "3.14159 and 1,000,000", "2024-11-25",
    "a" * 300, " ".join(["word"] * 100), "superlongwordwithoutanyspacesthatgoesonandonandon",
    "naïve coöperation résumé", "Ελληνικά γράμματα", "Русский текст", "עברית", "العربية",
    "हिन्दी", "ไทย", "a\u200bzero\u200cwidth\u200djoiners", "control\u0007bell\u007fdel",
    "mixed CASE WiTh NuMbErS 123abc", "@user #hashtag $100 50% off!", "C++ && Python || Rust",
    "path/to/file.txt", "https://example.com/?q=1&r=2", "e-mail: someone@example.com",
    "«quotes» and „more“ ‘single’ “double”", "ellipsis… and dash — and – en", "°C ± ×÷",
]
for i in range(60):  # random mixes of the above
    prompts.append(" ".join(rng.sample(prompts[-90:], 3)))

for p in prompts:
    print(json.dumps({"text": p, "ids": encode(p)}, ensure_ascii=False))

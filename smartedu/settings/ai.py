"""Course material, embeddings, retrieval and the tutor. Every value comes from the environment;
the manual's settings page, generated from this file, shows each one with the comment above it."""

from .env import get_bool, get_float, get_int, get_list, get_str

# --- uploads: checked before any work starts ----------------------------------------------
# The largest material file (50 MB).
MATERIAL_MAX_BYTES = get_int("MATERIAL_MAX_BYTES", 50 * 1024 * 1024)
# The most PDF pages or slides in one file.
MATERIAL_MAX_PAGES = get_int("MATERIAL_MAX_PAGES", 3000)
# DOCX and PPTX are zip files: a small upload may expand to gigabytes (a zip bomb).
# This is the most a Word or PowerPoint file may expand to (300 MB).
MATERIAL_MAX_UNCOMPRESSED_BYTES = get_int("MATERIAL_MAX_UNCOMPRESSED_BYTES", 300 * 1024 * 1024)
# Files in one upload.
MATERIAL_MAX_FILES_PER_UPLOAD = get_int("MATERIAL_MAX_FILES_PER_UPLOAD", 20)
DATA_UPLOAD_MAX_NUMBER_FILES = MATERIAL_MAX_FILES_PER_UPLOAD
# Uploads above this size spool to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- ingestion ------------------------------------------------------------------------------
# OCR of pages that have no text layer.
INGEST_OCR = get_str("INGEST_OCR", "auto")  # auto: use Tesseract when installed; off: never
# Tesseract languages, e.g. eng+fra.
INGEST_OCR_LANGUAGES = get_str("INGEST_OCR_LANGUAGES", "eng")
# Files are read in a child process capped at this much memory (a PDF or zip bomb fails there,
# not in the worker).
INGEST_EXTRACT_MEMORY_MB = get_int("INGEST_EXTRACT_MEMORY_MB", 1536)
# Passage size, in embedding-model tokens.
CHUNK_MAX_TOKENS = get_int("CHUNK_MAX_TOKENS", 200)
# Tokens two neighbouring passages overlap by.
CHUNK_OVERLAP_TOKENS = get_int("CHUNK_OVERLAP_TOKENS", 40)
# An extraction or embedding job that has not reported for this long is presumed dead (its
# worker was killed) and is queued again by the next sweep.
INGEST_STALL_SECONDS = get_int("INGEST_STALL_SECONDS", 300)
# An embedding job yields the GPU queue after this long so other schools' work interleaves.
INGEST_EMBED_SLICE_SECONDS = get_int("INGEST_EMBED_SLICE_SECONDS", 10)
# A file that stops the reader this often is failed.
INGEST_MAX_EXTRACTION_ATTEMPTS = get_int("INGEST_MAX_EXTRACTION_ATTEMPTS", 3)

# --- providers ------------------------------------------------------------------------------
# OpenAI-compatible endpoints (OpenAI, vLLM, Ollama, llama.cpp). Embeddings and chat share them
# unless EMBEDDING_BASE_URL / EMBEDDING_API_KEY say otherwise.
# Empty: OpenAI; a local server is e.g. http://host:8000/v1.
OPENAI_BASE_URL = get_str("OPENAI_BASE_URL", "") or None
# Its key (OPENAI_API_KEY_FILE for a secret file).
OPENAI_API_KEY = get_str("OPENAI_API_KEY", "")
# Seconds per request.
OPENAI_TIMEOUT_SECONDS = get_float("OPENAI_TIMEOUT_SECONDS", 30.0)
# Retries back off on 429, 5xx and timeouts.
OPENAI_MAX_RETRIES = get_int("OPENAI_MAX_RETRIES", 3)
# The circuit breaker opens after this many provider failures in a row, for this long.
AI_BREAKER_FAILURES = get_int("AI_BREAKER_FAILURES", 5)
# Seconds the open breaker stays open.
AI_BREAKER_RESET_SECONDS = get_int("AI_BREAKER_RESET_SECONDS", 60)

# local: all-MiniLM-L6-v2 in the worker; openai: any OpenAI-compatible /v1/embeddings.
EMBEDDING_PROVIDER = get_str("EMBEDDING_PROVIDER", "local")  # local | openai
# The embedding model (asked for 384 dimensions).
EMBEDDING_MODEL = get_str(
    "EMBEDDING_MODEL",
    "all-MiniLM-L6-v2" if EMBEDDING_PROVIDER == "local" else "text-embedding-3-small",
)
# A separate endpoint for embeddings (default: OPENAI_BASE_URL).
EMBEDDING_BASE_URL = get_str("EMBEDDING_BASE_URL", "") or OPENAI_BASE_URL
# Its key (default: OPENAI_API_KEY).
EMBEDDING_API_KEY = get_str("EMBEDDING_API_KEY", "") or OPENAI_API_KEY
EMBEDDING_DEVICE = get_str("EMBEDDING_DEVICE", "auto")  # auto (CUDA when present) | cpu | cuda
# Passages per model call. Small batches are fastest on a CPU (less padding); raise to 128 or
# more on a GPU.
EMBEDDING_BATCH_SIZE = get_int("EMBEDDING_BATCH_SIZE", 16)

# offline: the built-in extractive answerer; openai: an OpenAI-compatible chat endpoint.
# auto picks openai when OPENAI_API_KEY is set.
LLM_PROVIDER = get_str("LLM_PROVIDER", "auto")
# The chat model.
LLM_MODEL = get_str("LLM_MODEL", "gpt-4o-mini")
# The longest tutor answer, in tokens.
LLM_MAX_OUTPUT_TOKENS = get_int("LLM_MAX_OUTPUT_TOKENS", 700)

# --- provider choice per school -----------------------------------------------------------------
# The environment's chat provider above is every school's default; the operator may offer more
# (platform admin, AI providers) and a school admin may add the school's own endpoint and choose
# a fallback order per task. Prices are per million tokens, in this currency.
AI_PRICE_CURRENCY = get_str("AI_PRICE_CURRENCY", "USD")
# What the default provider's prompt tokens cost per million (shown against schools' budgets).
LLM_PRICE_INPUT_PER_MILLION = get_float("LLM_PRICE_INPUT_PER_MILLION", 0.0)
# What the default provider's completion tokens cost per million.
LLM_PRICE_OUTPUT_PER_MILLION = get_float("LLM_PRICE_OUTPUT_PER_MILLION", 0.0)
# Provider keys (operator-offered and schools' own) are encrypted at rest with Fernet, keyed by
# DJANGO_SECRET_KEY and this salt. Comma-separated to rotate: the first salt encrypts, every one
# (with every DJANGO_SECRET_KEY_FALLBACKS key) still decrypts; after a change run
# `manage.py ai_keys_reencrypt`. Changing DJANGO_SECRET_KEY without keeping the old one in the
# fallbacks makes every stored provider key unreadable.
SALT_KEY = get_list("AI_KEYS_SALT", ["smartedu-ai-provider-keys"])
# A school's own endpoint is called from inside the platform's network, so by default it must
# be a public address (not localhost, 10.x, 192.168.x, ...). true: allow local addresses (a
# single-school install whose model server runs next to it).
AI_OWN_ENDPOINTS_MAY_BE_LOCAL = get_bool("AI_OWN_ENDPOINTS_MAY_BE_LOCAL", False)
# Seconds the school admin's "Test connection" waits for the endpoint's /v1/models.
AI_ENDPOINT_TEST_TIMEOUT_SECONDS = get_float("AI_ENDPOINT_TEST_TIMEOUT_SECONDS", 5.0)

# --- retrieval and tutor ----------------------------------------------------------------------
# A course with at most this many chunks is searched exactly (every vector compared); a bigger
# one goes through the HNSW index with a search width scaled to the course's share of chunks.
RETRIEVAL_EXACT_MAX_CHUNKS = get_int("RETRIEVAL_EXACT_MAX_CHUNKS", 50_000)
# HNSW search width for whole-school searches (recall 0.97 at 1M passages, p95 33 ms; lower
# it for speed).
RETRIEVAL_HNSW_EF_SEARCH = get_int("RETRIEVAL_HNSW_EF_SEARCH", 400)
# How the two sides of a search are blended: score = cosine similarity + this weight x the
# passage's BM25 score as a share of a passage holding every word of the query (tuned on
# make eval).
RETRIEVAL_TEXT_WEIGHT = get_float("RETRIEVAL_TEXT_WEIGHT", 1.0)
# Re-ranking: the best-blended candidates are scored again by their single sentence closest to
# the question in meaning (the embedding model at sentence level), with this weight; 0 turns
# re-ranking off.
RETRIEVAL_SENTENCE_WEIGHT = get_float("RETRIEVAL_SENTENCE_WEIGHT", 2.0)
# How many of the best-blended candidates are re-ranked by sentence.
RETRIEVAL_RERANK_DEPTH = get_int("RETRIEVAL_RERANK_DEPTH", 10)
# Passages the tutor retrieves.
TUTOR_TOP_K = get_int("TUTOR_TOP_K", 6)
# Below this cosine similarity between the question and a passage's closest sentence, the passage
# does not count as support; with no passage above it the tutor says the material does not cover
# the question (tuned on make eval for the local all-MiniLM-L6-v2: 3 % of answerable questions
# lie below 0.53; another embedding model spreads similarities differently, so measure with
# make eval before using this value with it).
TUTOR_MIN_SIMILARITY = get_float("TUTOR_MIN_SIMILARITY", 0.50)
# How much of the question the best of its two closest passages must cover, word by word
# (ai/coverage.py: each content word matched with the passage's closest token in context,
# weighted by how rare the word is in the course); below it the tutor says the material does
# not answer the question. Tuned on make eval with the local model (0 turns the check off).
TUTOR_MIN_COVERAGE = get_float("TUTOR_MIN_COVERAGE", 0.46)
# The answer check: a sentence of a model's answer counts as supported by a source when one of
# the source's sentences is at least this close to it in meaning (cosine similarity, local
# all-MiniLM-L6-v2) and the source holds a third of its content words, or when the source holds
# TUTOR_CHECK_MIN_COVERAGE of them; and in either case every number and rare term of the
# sentence appears in the source. Measured on the evaluation documents' 140 hand-written
# answers: 84 % are supported by the passage holding their evidence, 1.4 % by another
# question's passage (docs/features/teacher/material-and-tutor.md).
TUTOR_CHECK_MIN_SIMILARITY = get_float("TUTOR_CHECK_MIN_SIMILARITY", 0.65)
# The share of a sentence's content words its source must hold to support it without a
# sentence close in meaning.
TUTOR_CHECK_MIN_COVERAGE = get_float("TUTOR_CHECK_MIN_COVERAGE", 0.75)
# The longest tutor question, in characters.
TUTOR_MAX_QUESTION_CHARS = get_int("TUTOR_MAX_QUESTION_CHARS", 1000)

for _name, _value, _choices in (
    ("EMBEDDING_PROVIDER", EMBEDDING_PROVIDER, ("local", "openai")),
    ("LLM_PROVIDER", LLM_PROVIDER, ("auto", "offline", "openai")),
    ("EMBEDDING_DEVICE", EMBEDDING_DEVICE, ("auto", "cpu", "cuda")),
    ("INGEST_OCR", INGEST_OCR, ("auto", "off")),
):
    if _value not in _choices:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"{_name}={_value!r}: use one of {', '.join(_choices)}.")

# --- quiz generation and the question bank ----------------------------------------------------
# The most questions one generation job may ask for.
GENERATION_MAX_QUESTIONS = get_int("GENERATION_MAX_QUESTIONS", 50)
# A generation job yields the GPU queue after this long so other schools' jobs interleave.
GENERATION_SLICE_SECONDS = get_int("GENERATION_SLICE_SECONDS", 10)
# A new question this similar (cosine) to one already in the course's bank is a duplicate.
GENERATION_DUPLICATE_SIMILARITY = get_float("GENERATION_DUPLICATE_SIMILARITY", 0.90)
# Passages sent to the language model in one request.
GENERATION_PASSAGES_PER_CALL = get_int("GENERATION_PASSAGES_PER_CALL", 3)
# The longest language-model reply per call, in tokens.
GENERATION_MAX_OUTPUT_TOKENS = get_int("GENERATION_MAX_OUTPUT_TOKENS", 2000)
# The largest Moodle XML / GIFT file (5 MB).
QUIZ_IMPORT_MAX_BYTES = get_int("QUIZ_IMPORT_MAX_BYTES", 5 * 1024 * 1024)
# The most questions in one imported file.
QUIZ_IMPORT_MAX_QUESTIONS = get_int("QUIZ_IMPORT_MAX_QUESTIONS", 1000)

# --- AI budgets: per school and calendar month (UTC) when the school has no plan; 0 = unlimited
# Generated questions per school and month without a plan (0: unlimited).
AI_DEFAULT_MONTHLY_GENERATED_QUESTIONS = get_int("AI_DEFAULT_MONTHLY_GENERATED_QUESTIONS", 2000)
# Tutor questions per school and month without a plan (0: unlimited).
AI_DEFAULT_MONTHLY_TUTOR_QUESTIONS = get_int("AI_DEFAULT_MONTHLY_TUTOR_QUESTIONS", 20000)

"""Course material, embeddings, retrieval and the tutor. Every value comes from the environment;
the README's settings table explains each one."""

from .env import get_float, get_int, get_str

# --- uploads: checked before any work starts ----------------------------------------------
MATERIAL_MAX_BYTES = get_int("MATERIAL_MAX_BYTES", 50 * 1024 * 1024)
MATERIAL_MAX_PAGES = get_int("MATERIAL_MAX_PAGES", 3000)
# DOCX and PPTX are zip files: a small upload may expand to gigabytes (a zip bomb).
MATERIAL_MAX_UNCOMPRESSED_BYTES = get_int("MATERIAL_MAX_UNCOMPRESSED_BYTES", 300 * 1024 * 1024)
MATERIAL_MAX_FILES_PER_UPLOAD = get_int("MATERIAL_MAX_FILES_PER_UPLOAD", 20)
DATA_UPLOAD_MAX_NUMBER_FILES = MATERIAL_MAX_FILES_PER_UPLOAD
# Uploads above this size spool to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- ingestion ------------------------------------------------------------------------------
INGEST_OCR = get_str("INGEST_OCR", "auto")  # auto: use Tesseract when installed; off: never
INGEST_OCR_LANGUAGES = get_str("INGEST_OCR_LANGUAGES", "eng")
# Files are read in a child process capped at this much memory (a PDF or zip bomb fails there,
# not in the worker).
INGEST_EXTRACT_MEMORY_MB = get_int("INGEST_EXTRACT_MEMORY_MB", 1536)
CHUNK_MAX_TOKENS = get_int("CHUNK_MAX_TOKENS", 200)
CHUNK_OVERLAP_TOKENS = get_int("CHUNK_OVERLAP_TOKENS", 40)
# An extraction or embedding job that has not reported for this long is presumed dead (its
# worker was killed) and is queued again by the next sweep.
INGEST_STALL_SECONDS = get_int("INGEST_STALL_SECONDS", 300)
# An embedding job yields the GPU queue after this long so other schools' work interleaves.
INGEST_EMBED_SLICE_SECONDS = get_int("INGEST_EMBED_SLICE_SECONDS", 10)
INGEST_MAX_EXTRACTION_ATTEMPTS = get_int("INGEST_MAX_EXTRACTION_ATTEMPTS", 3)

# --- providers ------------------------------------------------------------------------------
# OpenAI-compatible endpoints (OpenAI, vLLM, Ollama, llama.cpp). Embeddings and chat share them
# unless EMBEDDING_BASE_URL / EMBEDDING_API_KEY say otherwise.
OPENAI_BASE_URL = get_str("OPENAI_BASE_URL", "") or None
OPENAI_API_KEY = get_str("OPENAI_API_KEY", "")
OPENAI_TIMEOUT_SECONDS = get_float("OPENAI_TIMEOUT_SECONDS", 30.0)
OPENAI_MAX_RETRIES = get_int("OPENAI_MAX_RETRIES", 3)
# The circuit breaker opens after this many provider failures in a row, for this long.
AI_BREAKER_FAILURES = get_int("AI_BREAKER_FAILURES", 5)
AI_BREAKER_RESET_SECONDS = get_int("AI_BREAKER_RESET_SECONDS", 60)

EMBEDDING_PROVIDER = get_str("EMBEDDING_PROVIDER", "local")  # local | openai
EMBEDDING_MODEL = get_str(
    "EMBEDDING_MODEL",
    "all-MiniLM-L6-v2" if EMBEDDING_PROVIDER == "local" else "text-embedding-3-small",
)
EMBEDDING_BASE_URL = get_str("EMBEDDING_BASE_URL", "") or OPENAI_BASE_URL
EMBEDDING_API_KEY = get_str("EMBEDDING_API_KEY", "") or OPENAI_API_KEY
EMBEDDING_DEVICE = get_str("EMBEDDING_DEVICE", "auto")  # auto (CUDA when present) | cpu | cuda
# Small batches are fastest on a CPU (less padding); raise to 128 or more on a GPU.
EMBEDDING_BATCH_SIZE = get_int("EMBEDDING_BATCH_SIZE", 16)

# offline: the built-in extractive answerer; openai: an OpenAI-compatible chat endpoint.
# auto picks openai when OPENAI_API_KEY is set.
LLM_PROVIDER = get_str("LLM_PROVIDER", "auto")
LLM_MODEL = get_str("LLM_MODEL", "gpt-4o-mini")
LLM_MAX_OUTPUT_TOKENS = get_int("LLM_MAX_OUTPUT_TOKENS", 700)

# --- retrieval and tutor ----------------------------------------------------------------------
# A course with at most this many chunks is searched exactly (every vector compared); a bigger
# one goes through the HNSW index with a search width scaled to the course's share of chunks.
RETRIEVAL_EXACT_MAX_CHUNKS = get_int("RETRIEVAL_EXACT_MAX_CHUNKS", 50_000)
RETRIEVAL_HNSW_EF_SEARCH = get_int("RETRIEVAL_HNSW_EF_SEARCH", 400)
TUTOR_TOP_K = get_int("TUTOR_TOP_K", 6)
# Below this cosine similarity (and with no full-text match) a passage does not count as support.
TUTOR_MIN_SIMILARITY = get_float("TUTOR_MIN_SIMILARITY", 0.30)
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
GENERATION_MAX_QUESTIONS = get_int("GENERATION_MAX_QUESTIONS", 50)
# A generation job yields the GPU queue after this long so other schools' jobs interleave.
GENERATION_SLICE_SECONDS = get_int("GENERATION_SLICE_SECONDS", 10)
# A new question this similar (cosine) to one already in the course's bank is a duplicate.
GENERATION_DUPLICATE_SIMILARITY = get_float("GENERATION_DUPLICATE_SIMILARITY", 0.90)
# Passages sent to the language model in one request.
GENERATION_PASSAGES_PER_CALL = get_int("GENERATION_PASSAGES_PER_CALL", 3)
GENERATION_MAX_OUTPUT_TOKENS = get_int("GENERATION_MAX_OUTPUT_TOKENS", 2000)
QUIZ_IMPORT_MAX_BYTES = get_int("QUIZ_IMPORT_MAX_BYTES", 5 * 1024 * 1024)
QUIZ_IMPORT_MAX_QUESTIONS = get_int("QUIZ_IMPORT_MAX_QUESTIONS", 1000)

# --- AI budgets: per school and calendar month (UTC) when the school has no plan; 0 = unlimited
AI_DEFAULT_MONTHLY_GENERATED_QUESTIONS = get_int("AI_DEFAULT_MONTHLY_GENERATED_QUESTIONS", 2000)
AI_DEFAULT_MONTHLY_TUTOR_QUESTIONS = get_int("AI_DEFAULT_MONTHLY_TUTOR_QUESTIONS", 20000)

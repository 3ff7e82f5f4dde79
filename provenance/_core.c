/* provenance._core: the per-token and per-claim loops of analysis and link preparation in C.
 *
 * Each function is the compiled twin of a pure-Python one that stays the reference (and the
 * fallback when this extension is absent or PROVENANCE_PURE=1): see provenance/compiled.py for
 * the pairs, and tests/test_compiled.py, which checks that both give the same values and that
 * a database built with either is identical.
 *
 *   blake2b64(str)             hashlib.blake2b(s.encode(), digest_size=8), as an unsigned int
 *   trigram_keys(list[str])    linking._text_trigram_keys: signed keys of every word trigram
 *   trigram_key(seq[str])      linking._trigram_key
 *   band_keys(sets, params)    minhash.band_keys: MinHash band keys of each set of terms
 *   tokens(text, a, b, titles) attribution.tokenize: spans of attribution.TOKEN
 *   word_keys(folded, other)   alignment.text_keys's words of case-folded text
 *   ascii_words(str, done)     similarity.words of ASCII text (_fold_words once rewritten)
 *   shape(str)                 attribution._shape
 *   sum_features(...)          attribution._FastTagger._sum, written into a row of an array
 *   viterbi(...)               attribution._FastTagger.tag's decoding (crfsuite's recursion)
 *   row_digest(names, values)  binding.row_digest: canonical JSON of a row, SHA-256
 *   vocabulary(text)           a scorer vocabulary, looked up without making a str per key
 *   scorer_ids(...)            claims.ClaimModel.decision's word and character n-gram ids
 *   shape_counts(sentences)    claims.shape_features's word and digit counts
 *
 * Only CPython's C API and the buffer protocol are used (no numpy headers): arrays arrive as
 * C-contiguous float64 buffers.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* --- BLAKE2b (RFC 7693), unkeyed, 8-byte digest ------------------------------------------- */

static const uint64_t blake2b_iv[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
    0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
};

static const uint8_t blake2b_sigma[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
};

static inline uint64_t rotr64(uint64_t x, unsigned n) { return (x >> n) | (x << (64 - n)); }

static inline uint64_t load64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

#define G(a, b, c, d, x, y)          \
    do {                             \
        v[a] = v[a] + v[b] + (x);    \
        v[d] = rotr64(v[d] ^ v[a], 32); \
        v[c] = v[c] + v[d];          \
        v[b] = rotr64(v[b] ^ v[c], 24); \
        v[a] = v[a] + v[b] + (y);    \
        v[d] = rotr64(v[d] ^ v[a], 16); \
        v[c] = v[c] + v[d];          \
        v[b] = rotr64(v[b] ^ v[c], 63); \
    } while (0)

static void blake2b_compress(uint64_t h[8], const unsigned char block[128], uint64_t t, int last) {
    uint64_t v[16], m[16];
    for (int i = 0; i < 16; i++) m[i] = load64(block + 8 * i);
    for (int i = 0; i < 8; i++) {
        v[i] = h[i];
        v[i + 8] = blake2b_iv[i];
    }
    v[12] ^= t; /* the counter's high word stays 0: no input here reaches 2**64 bytes */
    if (last) v[14] = ~v[14];
    for (int r = 0; r < 12; r++) {
        const uint8_t *s = blake2b_sigma[r];
        G(0, 4, 8, 12, m[s[0]], m[s[1]]);
        G(1, 5, 9, 13, m[s[2]], m[s[3]]);
        G(2, 6, 10, 14, m[s[4]], m[s[5]]);
        G(3, 7, 11, 15, m[s[6]], m[s[7]]);
        G(0, 5, 10, 15, m[s[8]], m[s[9]]);
        G(1, 6, 11, 12, m[s[10]], m[s[11]]);
        G(2, 7, 8, 13, m[s[12]], m[s[13]]);
        G(3, 4, 9, 14, m[s[14]], m[s[15]]);
    }
    for (int i = 0; i < 8; i++) h[i] ^= v[i] ^ v[i + 8];
}

/* The 8-byte digest read as a little-endian integer: h[0] after the last block. */
static uint64_t blake2b64(const unsigned char *data, size_t size) {
    uint64_t h[8];
    unsigned char block[128];
    memcpy(h, blake2b_iv, sizeof h);
    h[0] ^= 0x01010000ULL ^ 8ULL; /* depth 1, fanout 1, no key, 8-byte digest */
    uint64_t t = 0;
    while (size > 128) {
        t += 128;
        blake2b_compress(h, data, t, 0);
        data += 128;
        size -= 128;
    }
    memset(block, 0, sizeof block);
    memcpy(block, data, size);
    t += size;
    blake2b_compress(h, block, t, 1);
    return h[0];
}

/* --- a growable byte buffer --------------------------------------------------------------- */

typedef struct {
    unsigned char *data;
    size_t size, capacity;
    unsigned char small[256];
} Buffer;

static void buffer_init(Buffer *b) {
    b->data = b->small;
    b->size = 0;
    b->capacity = sizeof b->small;
}

static void buffer_free(Buffer *b) {
    if (b->data != b->small) PyMem_Free(b->data);
}

static int buffer_add(Buffer *b, const char *data, size_t size) {
    if (b->size + size > b->capacity) {
        size_t capacity = 2 * (b->size + size);
        unsigned char *grown = PyMem_Malloc(capacity);
        if (!grown) {
            PyErr_NoMemory();
            return -1;
        }
        memcpy(grown, b->data, b->size);
        buffer_free(b);
        b->data = grown;
        b->capacity = capacity;
    }
    memcpy(b->data + b->size, data, size);
    b->size += size;
    return 0;
}

/* UTF-8 of a str, as str.encode("utf-8") (lone surrogates raise, as there). */
static const char *utf8_of(PyObject *item, Py_ssize_t *size) {
    if (!PyUnicode_Check(item)) {
        PyErr_Format(PyExc_TypeError, "expected str, got %.80s", Py_TYPE(item)->tp_name);
        return NULL;
    }
    return PyUnicode_AsUTF8AndSize(item, size);
}

/* blake2b64 of " ".join(words[start:start + count]) */
static int joined_hash(PyObject **words, Py_ssize_t count, uint64_t *out) {
    Buffer b;
    buffer_init(&b);
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_ssize_t size;
        const char *utf8 = utf8_of(words[i], &size);
        if (!utf8 || (i && buffer_add(&b, " ", 1)) || buffer_add(&b, utf8, (size_t)size)) {
            buffer_free(&b);
            return -1;
        }
    }
    *out = blake2b64(b.data, b.size);
    buffer_free(&b);
    return 0;
}

static PyObject *core_blake2b64(PyObject *self, PyObject *arg) {
    Py_ssize_t size;
    const char *utf8 = utf8_of(arg, &size);
    if (!utf8) return NULL;
    return PyLong_FromUnsignedLongLong(blake2b64((const unsigned char *)utf8, (size_t)size));
}

static PyObject *core_trigram_key(PyObject *self, PyObject *arg) {
    PyObject *seq = PySequence_Fast(arg, "trigram_key: expected a sequence of str");
    if (!seq) return NULL;
    uint64_t h;
    int failed = joined_hash(PySequence_Fast_ITEMS(seq), PySequence_Fast_GET_SIZE(seq), &h);
    Py_DECREF(seq);
    if (failed) return NULL;
    return PyLong_FromLongLong((long long)(int64_t)h);
}

static PyObject *core_trigram_keys(PyObject *self, PyObject *arg) {
    PyObject *seq = PySequence_Fast(arg, "trigram_keys: expected a sequence of str");
    if (!seq) return NULL;
    PyObject **words = PySequence_Fast_ITEMS(seq);
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject *out = PySet_New(NULL);
    if (!out) goto fail;
    for (Py_ssize_t i = 0; i + 2 < n; i++) {
        uint64_t h;
        if (joined_hash(words + i, 3, &h)) goto fail;
        PyObject *key = PyLong_FromLongLong((long long)(int64_t)h);
        if (!key || PySet_Add(out, key)) {
            Py_XDECREF(key);
            goto fail;
        }
        Py_DECREF(key);
    }
    Py_DECREF(seq);
    return out;
fail:
    Py_DECREF(seq);
    Py_XDECREF(out);
    return NULL;
}

/* --- MinHash band keys --------------------------------------------------------------------- */

/* band_keys(term_sets, params, bands, rows): params holds, as little-endian uint64, the
 * multipliers A and offsets B of the bands * rows permutations, then the four band mixers. */
static PyObject *core_band_keys(PyObject *self, PyObject *args) {
    PyObject *sets;
    Py_buffer params;
    int bands, rows;
    if (!PyArg_ParseTuple(args, "Oy*ii", &sets, &params, &bands, &rows)) return NULL;
    PyObject *out = NULL, *seq = NULL;
    int perms = bands * rows;
    if (bands <= 0 || rows != 3 || perms > 1024 ||
        params.len != (Py_ssize_t)((2 * perms + 4) * sizeof(uint64_t))) {
        PyErr_SetString(PyExc_ValueError, "band_keys: parameters of the wrong size");
        goto done;
    }
    uint64_t A[1024], B[1024], mix[4], signature[1024];
    const unsigned char *p = params.buf;
    for (int i = 0; i < perms; i++) A[i] = load64(p + 8 * i);
    for (int i = 0; i < perms; i++) B[i] = load64(p + 8 * (perms + i));
    for (int i = 0; i < 4; i++) mix[i] = load64(p + 8 * (2 * perms + i));
    seq = PySequence_Fast(sets, "band_keys: expected a sequence of term sets");
    if (!seq) goto done;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    out = PyList_New(n);
    if (!out) goto done;
    for (Py_ssize_t s = 0; s < n; s++) {
        PyObject *iter = PyObject_GetIter(PySequence_Fast_GET_ITEM(seq, s)), *term;
        if (!iter) goto fail;
        int empty = 1;
        for (int i = 0; i < perms; i++) signature[i] = UINT64_MAX;
        while ((term = PyIter_Next(iter))) {
            Py_ssize_t size;
            const char *utf8 = utf8_of(term, &size);
            Py_DECREF(term);
            if (!utf8) {
                Py_DECREF(iter);
                goto fail;
            }
            uint64_t h = blake2b64((const unsigned char *)utf8, (size_t)size);
            for (int i = 0; i < perms; i++) {
                uint64_t x = A[i] * h + B[i];
                x ^= x >> 32;
                if (x < signature[i]) signature[i] = x;
            }
            empty = 0;
        }
        Py_DECREF(iter);
        if (PyErr_Occurred()) goto fail;
        PyObject *keys = PyList_New(empty ? 0 : bands);
        if (!keys) goto fail;
        PyList_SET_ITEM(out, s, keys);
        if (empty) continue;
        for (int b = 0; b < bands; b++) {
            const uint64_t *r = signature + b * rows;
            uint64_t x = r[0] * mix[0] + r[1] * mix[1] + r[2] * mix[2] + (uint64_t)(b + 1) * mix[3];
            x ^= x >> 29;
            PyObject *key = PyLong_FromLongLong((long long)(int64_t)x);
            if (!key) goto fail;
            PyList_SET_ITEM(keys, b, key);
        }
    }
    goto done;
fail:
    Py_CLEAR(out);
done:
    Py_XDECREF(seq);
    PyBuffer_Release(&params);
    return out;
}

/* --- the attribution tagger ---------------------------------------------------------------- */

static PyObject *core_shape(PyObject *self, PyObject *arg) {
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "shape: expected str");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    int kind = PyUnicode_KIND(arg);
    const void *data = PyUnicode_DATA(arg);
    Py_UCS4 out[5];
    int size = 0;
    for (Py_ssize_t i = 0; i < n && size < 5; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        Py_UCS4 c = Py_UNICODE_ISUPPER(ch) ? 'X'
                    : Py_UNICODE_ISLOWER(ch) ? 'x'
                    : Py_UNICODE_ISDIGIT(ch) ? 'd'
                                             : ch;
        if (size < 2 || out[size - 1] != c || out[size - 2] != c) out[size++] = c;
    }
    return PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, out, size);
}

/* tokens(text, start, end, titles): attribution.TOKEN's matches in text[start:end], as
 * (start, end) pairs: the regular expression
 *     (?:[A-Za-z]\.){2,} | (?:TITLES)\.(?=\s) | \d+(?:[.,:]\d+)+ | \w+(?:-\w+)* |
 *     ['’](?:s|ll|re|ve|d|m|t)\b | \S
 * scanned as re.finditer(text, start, end) does, with sre's Unicode classes (\w: alphanumeric
 * or "_", \d: decimal, \s: Py_UNICODE_ISSPACE) and end standing for the end of the text (the
 * lookahead and the word boundary see nothing past it). titles: the set of title words. The
 * alternatives are tried in order; they are exclusive where they overlap (a title has two
 * letters or more, so a dotted abbreviation's second character is never a title's), so the
 * first that matches is found by looking at the run of word characters at each position. */
#define TOK_WORD(ch) (Py_UNICODE_ISALNUM(ch) || (ch) == '_')
#define TOK_ASCII_LETTER(ch) (((ch) >= 'A' && (ch) <= 'Z') || ((ch) >= 'a' && (ch) <= 'z'))

/* The scans the word patterns share, on any string kind (an ASCII buffer is read as kind 1):
 * the end of \d+(?:[seps]\d+)+ at i (the character at i a decimal digit), -1 when no separator
 * and digit follow the digits; and the end of \w+(?:[ab]\w+)* at i (the character at i a word
 * character), where a and b are the characters that join words ("-", or the two apostrophes). */
static int in_separators(Py_UCS4 ch, const char *seps) {
    return ch != 0 && ch < 128 && strchr(seps, (int)ch) != NULL;
}

static Py_ssize_t number_end(int kind, const void *data, Py_ssize_t i, Py_ssize_t end,
                             const char *seps) {
    Py_ssize_t k = i + 1;
    while (k < end && Py_UNICODE_ISDECIMAL(PyUnicode_READ(kind, data, k))) k++;
    Py_ssize_t digits = k;
    while (k + 1 < end && in_separators(PyUnicode_READ(kind, data, k), seps) &&
           Py_UNICODE_ISDECIMAL(PyUnicode_READ(kind, data, k + 1))) {
        k += 2;
        while (k < end && Py_UNICODE_ISDECIMAL(PyUnicode_READ(kind, data, k))) k++;
    }
    return k > digits ? k : -1;
}

static Py_ssize_t joined_word_end(int kind, const void *data, Py_ssize_t i, Py_ssize_t end,
                                  Py_UCS4 a, Py_UCS4 b) {
    Py_ssize_t k = i + 1;
    while (k < end && TOK_WORD(PyUnicode_READ(kind, data, k))) k++;
    while (k + 1 < end) {
        Py_UCS4 c = PyUnicode_READ(kind, data, k);
        if ((c != a && c != b) || !TOK_WORD(PyUnicode_READ(kind, data, k + 1))) break;
        k += 2;
        while (k < end && TOK_WORD(PyUnicode_READ(kind, data, k))) k++;
    }
    return k;
}

static int add_span(PyObject *out, Py_ssize_t a, Py_ssize_t b) {
    PyObject *pair = PyTuple_New(2);
    if (!pair) return -1;
    PyObject *x = PyLong_FromSsize_t(a), *y = PyLong_FromSsize_t(b);
    if (!x || !y) {
        Py_XDECREF(x);
        Py_XDECREF(y);
        Py_DECREF(pair);
        return -1;
    }
    PyTuple_SET_ITEM(pair, 0, x);
    PyTuple_SET_ITEM(pair, 1, y);
    int failed = PyList_Append(out, pair);
    Py_DECREF(pair);
    return failed;
}

static PyObject *core_tokens(PyObject *self, PyObject *args) {
    PyObject *text, *titles;
    Py_ssize_t start, end;
    if (!PyArg_ParseTuple(args, "UnnO", &text, &start, &end, &titles)) return NULL;
    if (!PyAnySet_Check(titles)) {
        PyErr_SetString(PyExc_TypeError, "tokens: titles must be a set");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (start < 0) start = 0;
    if (end > n) end = n;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
#define AT(k) PyUnicode_READ(kind, data, (k))
    PyObject *out = PyList_New(0);
    if (!out) return NULL;
    Py_ssize_t i = start;
    while (i < end) {
        Py_UCS4 ch = AT(i);
        if (Py_UNICODE_ISSPACE(ch)) {
            i++;
            continue;
        }
        Py_ssize_t stop = -1;
        /* (?:[A-Za-z]\.){2,} */
        if (TOK_ASCII_LETTER(ch)) {
            Py_ssize_t j = i;
            while (j + 1 < end && TOK_ASCII_LETTER(AT(j)) && AT(j + 1) == '.') j += 2;
            if (j - i >= 4) stop = j;
        }
        if (stop < 0 && TOK_WORD(ch)) {
            Py_ssize_t run = i + 1;
            while (run < end && TOK_WORD(AT(run))) run++;
            /* (?:TITLES)\.(?=\s): a title is letters only, so it is the whole run */
            if (TOK_ASCII_LETTER(ch) && run - i >= 2 && run + 1 < end && AT(run) == '.' &&
                Py_UNICODE_ISSPACE(AT(run + 1))) {
                PyObject *word = PyUnicode_Substring(text, i, run);
                if (!word) goto fail;
                int known = PySet_Contains(titles, word);
                Py_DECREF(word);
                if (known < 0) goto fail;
                if (known) stop = run + 1;
            }
            /* \d+(?:[.,:]\d+)+ */
            if (stop < 0 && Py_UNICODE_ISDECIMAL(ch)) stop = number_end(kind, data, i, end, ".,:");
            /* \w+(?:-\w+)* */
            if (stop < 0) stop = joined_word_end(kind, data, i, end, '-', '-');
        }
        /* ['’](?:s|ll|re|ve|d|m|t)\b */
        if (stop < 0 && (ch == '\'' || ch == 0x2019)) {
            static const char *clitics[] = {"s", "ll", "re", "ve", "d", "m", "t"};
            for (int c = 0; c < 7 && stop < 0; c++) {
                Py_ssize_t len = (Py_ssize_t)strlen(clitics[c]), k = i + 1;
                if (k + len > end) continue;
                int same = 1;
                for (Py_ssize_t m = 0; m < len && same; m++)
                    same = AT(k + m) == (Py_UCS4)clitics[c][m];
                /* a clitic ends in a letter: \b holds where no word character follows */
                if (same && (k + len == end || !TOK_WORD(AT(k + len)))) stop = k + len;
            }
        }
        if (stop < 0) stop = i + 1; /* \S */
        if (add_span(out, i, stop) < 0) goto fail;
        i = stop;
    }
#undef AT
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

/* word_keys(folded, other): alignment.text_keys's words of a case-folded text, as (key,
 * start): the matches of alignment._WORD, \d+(?:[.,]\d+)+|\w+(?:['’]\w+)*, in order; the key
 * of an ASCII word is the word without apostrophes, full stops and commas, that of any other
 * word other(word) (alignment._word_key). */
static PyObject *core_word_keys(PyObject *self, PyObject *args) {
    PyObject *text, *other;
    if (!PyArg_ParseTuple(args, "UO", &text, &other)) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
#define AT(k) PyUnicode_READ(kind, data, (k))
    PyObject *out = PyList_New(0);
    if (!out) return NULL;
    char *buffer = NULL;
    Py_ssize_t capacity = 0;
    Py_ssize_t i = 0;
    while (i < n) {
        Py_UCS4 ch = AT(i);
        if (!TOK_WORD(ch)) {
            i++;
            continue;
        }
        Py_ssize_t stop = Py_UNICODE_ISDECIMAL(ch) ? number_end(kind, data, i, n, ".,") : -1;
        if (stop < 0) stop = joined_word_end(kind, data, i, n, '\'', 0x2019);
        int ascii = 1;
        for (Py_ssize_t k = i; k < stop && ascii; k++) ascii = AT(k) < 128;
        PyObject *key;
        if (ascii) {
            if (stop - i > capacity) {
                capacity = 2 * (stop - i);
                char *grown = PyMem_Realloc(buffer, (size_t)capacity);
                if (!grown) {
                    PyErr_NoMemory();
                    goto fail;
                }
                buffer = grown;
            }
            Py_ssize_t size = 0;
            for (Py_ssize_t k = i; k < stop; k++) {
                Py_UCS4 c = AT(k);
                if (c != '\'' && c != '.' && c != ',') buffer[size++] = (char)c;
            }
            key = PyUnicode_FromStringAndSize(buffer, size);
        } else {
            PyObject *word = PyUnicode_Substring(text, i, stop);
            if (!word) goto fail;
            key = PyObject_CallOneArg(other, word);
            Py_DECREF(word);
        }
        if (!key) goto fail;
        PyObject *start = PyLong_FromSsize_t(i);
        if (!start) {
            Py_DECREF(key);
            goto fail;
        }
        PyObject *pair = PyTuple_Pack(2, key, start);
        Py_DECREF(key);
        Py_DECREF(start);
        if (!pair) goto fail;
        int failed = PyList_Append(out, pair);
        Py_DECREF(pair);
        if (failed) goto fail;
        i = stop;
    }
#undef AT
    PyMem_Free(buffer);
    return out;
fail:
    PyMem_Free(buffer);
    Py_DECREF(out);
    return NULL;
}

/* ascii_words(text, rewritten): similarity.words(text) for an ASCII text that none of its
 * rewrites but the U.S. one touches, else None (similarity.words then takes its own path); with
 * rewritten, similarity._fold_words(text) of an ASCII text the caller has rewritten (None for
 * any other). The rewrites it declines: a word broken at a line end (the text has "-" and a line break), page furniture
 * (any text with six digits in a row, "page"/"Page" before a digit, a number of one to four
 * digits between hyphens), thousands separators (a digit, a comma, a digit). What it does:
 * similarity._US's matches (\bU\.\s?S\.(?:\s?A\.)? and \bUnited States(?: of America)?\b)
 * become " US ", the text is lower-cased (case-folding, for ASCII), and the words are
 * similarity._WORD's matches (\d+(?:\.\d+)+|\w+(?:['’]\w+)*) without their apostrophes. */
static int isdigit_ascii(unsigned char c) { return c >= '0' && c <= '9'; }
static int isspace_ascii(unsigned char c) { return Py_UNICODE_ISSPACE(c); }

static int furniture_hint(const unsigned char *t, Py_ssize_t n) {
    Py_ssize_t digits = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        digits = isdigit_ascii(t[i]) ? digits + 1 : 0;
        if (digits >= 6) return 1; /* \d{6} */
        if ((t[i] == 'P' || t[i] == 'p') && i + 3 < n && t[i + 1] == 'a' && t[i + 2] == 'g' &&
            t[i + 3] == 'e') { /* [Pp]age\s+\d */
            Py_ssize_t k = i + 4;
            while (k < n && isspace_ascii(t[k])) k++;
            if (k > i + 4 && k < n && isdigit_ascii(t[k])) return 1;
        }
        if (t[i] == '-') { /* -\s*\d{1,4}\s*- */
            Py_ssize_t k = i + 1;
            while (k < n && isspace_ascii(t[k])) k++;
            Py_ssize_t first = k;
            while (k < n && isdigit_ascii(t[k])) k++;
            if (k - first >= 1 && k - first <= 4) {
                while (k < n && isspace_ascii(t[k])) k++;
                if (k < n && t[k] == '-') return 1;
            }
        }
    }
    return 0;
}

/* the length of similarity._US's match at i (0 for none); \b at i is the caller's */
static Py_ssize_t us_match(const unsigned char *t, Py_ssize_t n, Py_ssize_t i) {
    if (t[i] == 'U' && i + 1 < n && t[i + 1] == '.') {
        Py_ssize_t k = i + 2;
        if (k < n && isspace_ascii(t[k]) && k + 1 < n && t[k + 1] == 'S') k++;
        if (k + 1 < n && t[k] == 'S' && t[k + 1] == '.') {
            k += 2;
            Py_ssize_t a = k;
            if (a < n && isspace_ascii(t[a]) && a + 1 < n && t[a + 1] == 'A') a++;
            if (a + 1 < n && t[a] == 'A' && t[a + 1] == '.') k = a + 2;
            return k - i;
        }
        return 0;
    }
    static const char united[] = "United States", america[] = " of America";
    Py_ssize_t lu = (Py_ssize_t)strlen(united), la = (Py_ssize_t)strlen(america);
    if (i + lu <= n && memcmp(t + i, united, (size_t)lu) == 0) {
        Py_ssize_t k = i + lu;
        if (k + la <= n && memcmp(t + k, america, (size_t)la) == 0 &&
            (k + la == n || !TOK_WORD(t[k + la])))
            return k + la - i;
        if (k == n || !TOK_WORD(t[k])) return lu;
    }
    return 0;
}

static PyObject *core_ascii_words(PyObject *self, PyObject *args) {
    PyObject *arg;
    int rewritten;
    if (!PyArg_ParseTuple(args, "Up", &arg, &rewritten)) return NULL;
    if (!PyUnicode_IS_ASCII(arg)) Py_RETURN_NONE;
    const unsigned char *t = PyUnicode_1BYTE_DATA(arg);
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    if (!rewritten) { /* the rewrites it declines (similarity._rewrite's) */
        if (memchr(t, '-', (size_t)n) && memchr(t, '\n', (size_t)n)) Py_RETURN_NONE;
        for (Py_ssize_t i = 1; i + 1 < n; i++)
            if (t[i] == ',' && isdigit_ascii(t[i - 1]) && isdigit_ascii(t[i + 1])) Py_RETURN_NONE;
        if (furniture_hint(t, n)) Py_RETURN_NONE;
    }
    /* the U.S. rewrite, then lower case: at most 4 bytes out for each byte in */
    unsigned char *buf = PyMem_Malloc((size_t)(4 * n + 1));
    if (!buf) return PyErr_NoMemory();
    Py_ssize_t m = 0;
    for (Py_ssize_t i = 0; i < n;) {
        Py_ssize_t len = (i == 0 || !TOK_WORD(t[i - 1])) ? us_match(t, n, i) : 0;
        if (len) {
            memcpy(buf + m, " us ", 4);
            m += 4;
            i += len;
        } else {
            unsigned char c = t[i++];
            buf[m++] = (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
        }
    }
    PyObject *out = PyList_New(0);
    if (!out) {
        PyMem_Free(buf);
        return NULL;
    }
    char *word = PyMem_Malloc((size_t)m + 1);
    if (!word) {
        PyMem_Free(buf);
        Py_DECREF(out);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < m;) {
        if (!TOK_WORD(buf[i])) {
            i++;
            continue;
        }
        Py_ssize_t stop = isdigit_ascii(buf[i]) ? number_end(1, buf, i, m, ".") : -1;
        if (stop < 0) stop = joined_word_end(1, buf, i, m, '\'', '\''); /* no ’ in ASCII */
        Py_ssize_t size = 0;
        for (Py_ssize_t k = i; k < stop; k++)
            if (buf[k] != '\'') word[size++] = (char)buf[k];
        PyObject *item = PyUnicode_FromStringAndSize(word, size);
        if (!item || PyList_Append(out, item)) {
            Py_XDECREF(item);
            Py_DECREF(out);
            out = NULL;
            break;
        }
        Py_DECREF(item);
        i = stop;
    }
    PyMem_Free(word);
    PyMem_Free(buf);
    return out;
}

static int float_matrix(PyObject *obj, Py_buffer *view, int writable, const char *what) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags)) return -1;
    if (view->ndim != 2 || view->itemsize != 8 || !view->format || strcmp(view->format, "d")) {
        PyErr_Format(PyExc_ValueError, "%s: expected a C-contiguous 2-d float64 array", what);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* sum_features(attributes, unknown, state, features, out, row): out[row] = the sum, row after
 * row as crfsuite (and numpy's reduction along the first axis) adds them, of the rows of state
 * that the features name (attributes.get(f, unknown)); zeros when there are none. */
static PyObject *core_sum_features(PyObject *self, PyObject *args) {
    PyObject *attributes, *features, *state_obj, *out_obj;
    Py_ssize_t unknown, row;
    if (!PyArg_ParseTuple(args, "O!nOOOn", &PyDict_Type, &attributes, &unknown, &state_obj,
                          &features, &out_obj, &row))
        return NULL;
    Py_buffer state, out;
    if (float_matrix(state_obj, &state, 0, "sum_features")) return NULL;
    if (float_matrix(out_obj, &out, 1, "sum_features")) {
        PyBuffer_Release(&state);
        return NULL;
    }
    PyObject *result = NULL, *seq = NULL;
    Py_ssize_t width = state.shape[1], states = state.shape[0];
    if (out.shape[1] != width || row < 0 || row >= out.shape[0]) {
        PyErr_SetString(PyExc_ValueError, "sum_features: arrays of the wrong shape");
        goto done;
    }
    seq = PySequence_Fast(features, "sum_features: expected a sequence of features");
    if (!seq) goto done;
    double *target = (double *)out.buf + row * width;
    const double *rows = state.buf;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(seq);
    for (Py_ssize_t j = 0; j < width; j++) target[j] = 0.0;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *id = PyDict_GetItemWithError(attributes, PySequence_Fast_GET_ITEM(seq, i));
        Py_ssize_t index = unknown;
        if (id) {
            index = PyLong_AsSsize_t(id);
            if (index == -1 && PyErr_Occurred()) goto done;
        } else if (PyErr_Occurred()) {
            goto done;
        }
        if (index < 0 || index >= states) {
            PyErr_SetString(PyExc_IndexError, "sum_features: attribute id out of range");
            goto done;
        }
        const double *source = rows + index * width;
        if (i == 0)
            for (Py_ssize_t j = 0; j < width; j++) target[j] = source[j];
        else
            for (Py_ssize_t j = 0; j < width; j++) target[j] += source[j];
    }
    result = Py_None;
    Py_INCREF(result);
done:
    Py_XDECREF(seq);
    PyBuffer_Release(&state);
    PyBuffer_Release(&out);
    return result;
}

/* viterbi(state, lengths, transition): the best label ids of each paragraph, whose state
 * scores are consecutive rows of state (lengths[i] rows each, none empty). crfsuite's
 * recursion (crf1dc_viterbi): label y's best previous label x maximises score[x] +
 * transition[x, y], the first on a tie; then y's state score is added. The last label is the
 * first of the highest final scores. */
static PyObject *core_viterbi(PyObject *self, PyObject *args) {
    PyObject *state_obj, *lengths_obj, *transition_obj;
    if (!PyArg_ParseTuple(args, "OOO", &state_obj, &lengths_obj, &transition_obj)) return NULL;
    Py_buffer state, transition;
    if (float_matrix(state_obj, &state, 0, "viterbi")) return NULL;
    if (float_matrix(transition_obj, &transition, 0, "viterbi")) {
        PyBuffer_Release(&state);
        return NULL;
    }
    PyObject *out = NULL, *lengths = NULL;
    Py_ssize_t *back = NULL;
    double *score = NULL;
    Py_ssize_t L = state.shape[1], total = state.shape[0];
    if (transition.shape[0] != L || transition.shape[1] != L || L == 0) {
        PyErr_SetString(PyExc_ValueError, "viterbi: arrays of the wrong shape");
        goto done;
    }
    lengths = PySequence_Fast(lengths_obj, "viterbi: expected a sequence of lengths");
    if (!lengths) goto done;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(lengths), used = 0, longest = 0;
    for (Py_ssize_t p = 0; p < count; p++) {
        Py_ssize_t n = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(lengths, p));
        if (n == -1 && PyErr_Occurred()) goto done;
        if (n <= 0) {
            PyErr_SetString(PyExc_ValueError, "viterbi: empty paragraph");
            goto done;
        }
        used += n;
        if (n > longest) longest = n;
    }
    if (used != total) {
        PyErr_SetString(PyExc_ValueError, "viterbi: lengths do not add up to the rows");
        goto done;
    }
    back = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(longest * L));
    score = PyMem_Malloc(sizeof(double) * (size_t)(2 * L));
    if (!back || !score) {
        PyErr_NoMemory();
        goto done;
    }
    out = PyList_New(count);
    if (!out) goto done;
    const double *trans = transition.buf;
    const double *rows = state.buf;
    for (Py_ssize_t p = 0; p < count; p++) {
        Py_ssize_t n = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(lengths, p));
        double *current = score, *next = score + L;
        for (Py_ssize_t y = 0; y < L; y++) current[y] = rows[y];
        for (Py_ssize_t t = 1; t < n; t++) {
            const double *emission = rows + t * L;
            for (Py_ssize_t y = 0; y < L; y++) {
                Py_ssize_t best = 0;
                double top = current[0] + trans[y];
                for (Py_ssize_t x = 1; x < L; x++) {
                    double value = current[x] + trans[x * L + y];
                    if (value > top) {
                        top = value;
                        best = x;
                    }
                }
                back[t * L + y] = best;
                next[y] = top + emission[y];
            }
            double *swap = current;
            current = next;
            next = swap;
        }
        Py_ssize_t y = 0;
        for (Py_ssize_t k = 1; k < L; k++)
            if (current[k] > current[y]) y = k;
        PyObject *labels = PyList_New(n);
        if (!labels) goto fail;
        PyList_SET_ITEM(out, p, labels);
        for (Py_ssize_t t = n - 1; t >= 0; t--) {
            PyObject *label = PyLong_FromSsize_t(y);
            if (!label) goto fail;
            PyList_SET_ITEM(labels, t, label);
            if (t) y = back[t * L + y];
        }
        rows += n * L;
    }
    goto done;
fail:
    Py_CLEAR(out);
done:
    PyMem_Free(back);
    PyMem_Free(score);
    Py_XDECREF(lengths);
    PyBuffer_Release(&state);
    PyBuffer_Release(&transition);
    return out;
}


/* --- SHA-256 (FIPS 180-4) and the row digests of provenance.binding ------------------------ */

typedef struct {
    uint32_t h[8];
    uint64_t size;
    unsigned char block[64];
    size_t used;
} Sha256;

static const uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
};

static inline uint32_t rotr32(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

static void sha256_block(Sha256 *s, const unsigned char *p) {
    uint32_t w[64], a, b, c, d, e, f, g, h;
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = rotr32(w[i - 15], 7) ^ rotr32(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = rotr32(w[i - 2], 17) ^ rotr32(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
    e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (rotr32(e, 6) ^ rotr32(e, 11) ^ rotr32(e, 25)) + ((e & f) ^ (~e & g)) +
                      sha256_k[i] + w[i];
        uint32_t t2 = (rotr32(a, 2) ^ rotr32(a, 13) ^ rotr32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
    s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

static void sha256_init(Sha256 *s) {
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, iv, sizeof iv);
    s->size = 0;
    s->used = 0;
}

static void sha256_add(Sha256 *s, const unsigned char *data, size_t size) {
    s->size += size;
    if (s->used) {
        size_t take = 64 - s->used < size ? 64 - s->used : size;
        memcpy(s->block + s->used, data, take);
        s->used += take, data += take, size -= take;
        if (s->used < 64) return;
        sha256_block(s, s->block);
        s->used = 0;
    }
    for (; size >= 64; data += 64, size -= 64) sha256_block(s, data);
    memcpy(s->block, data, size);
    s->used = size;
}

static void sha256_end(Sha256 *s, unsigned char out[32]) {
    uint64_t bits = s->size * 8;
    unsigned char pad[72] = {0x80};
    size_t padding = (s->used < 56 ? 56 : 120) - s->used;
    for (int i = 0; i < 8; i++) pad[padding + i] = (unsigned char)(bits >> (56 - 8 * i));
    sha256_add(s, pad, padding + 8);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 4; j++) out[4 * i + j] = (unsigned char)(s->h[i] >> (24 - 8 * j));
}


/* Python's hashlib.sha256 (OpenSSL, with the CPU's SHA instructions where it has them), set
 * by the module's init: ten times the speed of sha256_block on long input, but a call costs
 * about a microsecond, so short input is hashed here. */
static PyObject *hashlib_sha256 = NULL;
#define SHA256_BY_HASHLIB 256

static int sha256_digest(const void *data, size_t size, unsigned char out[32]) {
    if (size >= SHA256_BY_HASHLIB && hashlib_sha256) {
        PyObject *view = PyMemoryView_FromMemory((char *)data, (Py_ssize_t)size, PyBUF_READ);
        if (!view) return -1;
        PyObject *hash = PyObject_CallOneArg(hashlib_sha256, view);
        Py_DECREF(view);
        if (!hash) return -1;
        PyObject *digest = PyObject_CallMethod(hash, "digest", NULL);
        Py_DECREF(hash);
        if (!digest) return -1;
        if (!PyBytes_Check(digest) || PyBytes_GET_SIZE(digest) != 32) {
            Py_DECREF(digest);
            PyErr_SetString(PyExc_RuntimeError, "hashlib.sha256 gave no 32-byte digest");
            return -1;
        }
        memcpy(out, PyBytes_AS_STRING(digest), 32);
        Py_DECREF(digest);
        return 0;
    }
    Sha256 s;
    sha256_init(&s);
    sha256_add(&s, data, size);
    sha256_end(&s, out);
    return 0;
}

static void sha256_hex(const unsigned char digest[32], char out[65]) {
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
    out[64] = 0;
}

/* A str as json.dumps(..., ensure_ascii=False) writes it, then encoded as UTF-8 (a lone
 * surrogate raises there too). Multi-byte UTF-8 never holds a byte below 0x80, so escaping
 * the bytes of the UTF-8 is escaping the characters. */
static int json_string(Buffer *b, PyObject *text) {
    Py_ssize_t size;
    const char *utf8 = PyUnicode_AsUTF8AndSize(text, &size);
    if (!utf8 || buffer_add(b, "\"", 1)) return -1;
    Py_ssize_t run = 0;
    for (Py_ssize_t i = 0; i < size; i++) {
        unsigned char c = (unsigned char)utf8[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        if (buffer_add(b, utf8 + run, (size_t)(i - run))) return -1;
        char escape[8];
        const char *short_form = c == '"'    ? "\\\""
                                 : c == '\\' ? "\\\\"
                                 : c == '\n' ? "\\n"
                                 : c == '\r' ? "\\r"
                                 : c == '\t' ? "\\t"
                                 : c == '\b' ? "\\b"
                                 : c == '\f' ? "\\f"
                                             : NULL;
        if (!short_form) {
            snprintf(escape, sizeof escape, "\\u%04x", c);
            short_form = escape;
        }
        if (buffer_add(b, short_form, strlen(short_form))) return -1;
        run = i + 1;
    }
    return buffer_add(b, utf8 + run, (size_t)(size - run)) || buffer_add(b, "\"", 1) ? -1 : 0;
}

/* binding.value_json(value) as canonical JSON: null, an int, a float as repr (NaN, Infinity),
 * a str, a BLOB as {"sha256":"<hex of its SHA-256>"}. */
static int json_value(Buffer *b, PyObject *value) {
    if (value == Py_None) return buffer_add(b, "null", 4);
    if (PyUnicode_Check(value)) return json_string(b, value);
    if (PyLong_CheckExact(value) || PyFloat_CheckExact(value)) {
        PyObject *text;
        if (PyFloat_CheckExact(value) && !isfinite(PyFloat_AS_DOUBLE(value))) {
            double x = PyFloat_AS_DOUBLE(value);
            const char *name = isnan(x) ? "NaN" : x > 0 ? "Infinity" : "-Infinity";
            return buffer_add(b, name, strlen(name));
        }
        text = PyObject_Repr(value);
        if (!text) return -1;
        Py_ssize_t size;
        const char *utf8 = PyUnicode_AsUTF8AndSize(text, &size);
        int failed = !utf8 || buffer_add(b, utf8, (size_t)size);
        Py_DECREF(text);
        return failed ? -1 : 0;
    }
    if (PyObject_CheckBuffer(value)) {
        Py_buffer view;
        if (PyObject_GetBuffer(value, &view, PyBUF_SIMPLE)) return -1;
        unsigned char digest[32];
        char hex[65];
        int failed = sha256_digest(view.buf, (size_t)view.len, digest);
        PyBuffer_Release(&view);
        if (failed) return -1;
        sha256_hex(digest, hex);
        return buffer_add(b, "{\"sha256\":\"", 11) || buffer_add(b, hex, 64) ||
                       buffer_add(b, "\"}", 2)
                   ? -1
                   : 0;
    }
    PyErr_Format(PyExc_TypeError, "row_digest: no canonical form for %.80s",
                 Py_TYPE(value)->tp_name);
    return -1;
}

/* row_digest(names, values) -> (hex, columns): binding.row_digest. */
static PyObject *core_row_digest(PyObject *self, PyObject *args) {
    PyObject *names_obj, *values_obj;
    if (!PyArg_ParseTuple(args, "OO", &names_obj, &values_obj)) return NULL;
    PyObject *names = PySequence_Fast(names_obj, "row_digest: names must be a sequence");
    if (!names) return NULL;
    PyObject *values = PySequence_Fast(values_obj, "row_digest: values must be a sequence");
    PyObject *result = NULL, *order = NULL, *columns = NULL;
    Buffer b;
    buffer_init(&b);
    if (!values) goto done;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(names);
    if (PySequence_Fast_GET_SIZE(values) != n) {
        PyErr_SetString(PyExc_ValueError, "row_digest: as many names as values");
        goto done;
    }
    PyObject **name = PySequence_Fast_ITEMS(names), **value = PySequence_Fast_ITEMS(values);
    columns = PyBytes_FromStringAndSize(NULL, 4 * n);
    if (!columns) goto done;
    unsigned char *column = (unsigned char *)PyBytes_AS_STRING(columns), digest[32];
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!PyUnicode_Check(name[i])) {
            PyErr_SetString(PyExc_TypeError, "row_digest: column names must be str");
            goto done;
        }
        b.size = 0;
        if (buffer_add(&b, "[", 1) || json_string(&b, name[i]) || buffer_add(&b, ",", 1) ||
            json_value(&b, value[i]) || buffer_add(&b, "]", 1))
            goto done;
        if (sha256_digest(b.data, b.size, digest)) goto done;
        memcpy(column + 4 * i, digest, 4);
    }
    /* The row: its non-null columns, by name (json.dumps(sort_keys=True)). */
    order = PyList_New(0);
    if (!order) goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (value[i] == Py_None) continue;
        PyObject *index = PyLong_FromSsize_t(i);
        if (!index) goto done;
        PyObject *pair = PyTuple_Pack(2, name[i], index);
        Py_DECREF(index);
        if (!pair) goto done;
        int failed = PyList_Append(order, pair);
        Py_DECREF(pair);
        if (failed) goto done;
    }
    if (PyList_Sort(order)) goto done;
    b.size = 0;
    if (buffer_add(&b, "{", 1)) goto done;
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(order); k++) {
        PyObject *pair = PyList_GET_ITEM(order, k);
        Py_ssize_t i = PyLong_AsSsize_t(PyTuple_GET_ITEM(pair, 1));
        if ((k && buffer_add(&b, ",", 1)) || json_string(&b, name[i]) || buffer_add(&b, ":", 1) ||
            json_value(&b, value[i]))
            goto done;
    }
    if (buffer_add(&b, "}", 1)) goto done;
    char hex[65];
    if (sha256_digest(b.data, b.size, digest)) goto done;
    sha256_hex(digest, hex);
    result = Py_BuildValue("(s#O)", hex, (Py_ssize_t)64, columns);
done:
    buffer_free(&b);
    Py_XDECREF(order);
    Py_XDECREF(columns);
    Py_XDECREF(values);
    Py_DECREF(names);
    return result;
}


/* --- the check-worthiness scorer's features ----------------------------------------------- */

typedef struct {
    int32_t *data;
    Py_ssize_t size, capacity;
} Ids;

static int ids_add(Ids *ids, int32_t value) {
    if (ids->size == ids->capacity) {
        Py_ssize_t capacity = ids->capacity ? 2 * ids->capacity : 256;
        int32_t *grown = PyMem_Realloc(ids->data, sizeof(int32_t) * (size_t)capacity);
        if (!grown) {
            PyErr_NoMemory();
            return -1;
        }
        ids->data = grown;
        ids->capacity = capacity;
    }
    ids->data[ids->size++] = value;
    return 0;
}

static PyObject *ids_bytes(Ids *ids) {
    return PyBytes_FromStringAndSize((const char *)ids->data, ids->size * (Py_ssize_t)sizeof(int32_t));
}

/* A vocabulary: each entry (a str) -> its position, as dict(zip(entries, range(n))) (a later
 * duplicate wins), held as code points in one pool with an open-addressing table, so that the
 * scorer looks keys up without making a str of each (its largest cost with dicts). */
typedef struct {
    Py_UCS4 *chars;
    Py_ssize_t *starts; /* entry e is chars[starts[e] .. starts[e + 1]) */
    int32_t *slots;     /* an entry, or -1 */
    uint32_t *tags;     /* the high half of the slot's entry's hash */
    Py_ssize_t count, mask;
} Vocab;

static const char VOCAB_CAPSULE[] = "provenance._core.vocabulary";

static uint64_t ucs_hash(const Py_UCS4 *key, Py_ssize_t n) {
    uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)n;
    for (Py_ssize_t i = 0; i < n; i++) {
        h ^= key[i];
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

/* The slot holding key, or the empty slot where it would go. */
static Py_ssize_t vocab_slot(const Vocab *v, const Py_UCS4 *key, Py_ssize_t n, uint64_t h) {
    uint32_t tag = (uint32_t)(h >> 32);
    for (Py_ssize_t at = (Py_ssize_t)(h & (uint64_t)v->mask);; at = (at + 1) & v->mask) {
        int32_t e = v->slots[at];
        if (e < 0) return at;
        if (v->tags[at] == tag && v->starts[e + 1] - v->starts[e] == n &&
            !memcmp(v->chars + v->starts[e], key, (size_t)n * sizeof(Py_UCS4)))
            return at;
    }
}

static inline int32_t vocab_get(const Vocab *v, const Py_UCS4 *key, Py_ssize_t n) {
    return v->slots[vocab_slot(v, key, n, ucs_hash(key, n))];
}

static void vocab_free(Vocab *v) {
    if (!v) return;
    PyMem_Free(v->chars);
    PyMem_Free(v->starts);
    PyMem_Free(v->slots);
    PyMem_Free(v->tags);
    PyMem_Free(v);
}

static void vocab_capsule_free(PyObject *capsule) {
    vocab_free(PyCapsule_GetPointer(capsule, VOCAB_CAPSULE));
}

/* vocabulary(text): the entries of text.split("\n") (none for ""), as a capsule for
 * scorer_ids. */
static PyObject *core_vocabulary(PyObject *self, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "vocabulary: expected str");
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text), count = length ? 1 : 0;
    for (Py_ssize_t i = 0; i < length; i++)
        if (PyUnicode_READ(kind, data, i) == '\n') count++;
    if (count >= INT32_MAX / 2) {
        PyErr_SetString(PyExc_ValueError, "vocabulary: too many entries");
        return NULL;
    }
    Py_ssize_t size = 8;
    while (size < 2 * count) size *= 2;
    Vocab *v = PyMem_Calloc(1, sizeof(Vocab));
    if (!v) return PyErr_NoMemory();
    v->count = count;
    v->mask = size - 1;
    v->chars = PyMem_Malloc(sizeof(Py_UCS4) * (size_t)(length + 1));
    v->starts = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(count + 1));
    v->slots = PyMem_Malloc(sizeof(int32_t) * (size_t)size);
    v->tags = PyMem_Calloc((size_t)size, sizeof(uint32_t));
    if (!v->chars || !v->starts || !v->slots || !v->tags) {
        vocab_free(v);
        return PyErr_NoMemory();
    }
    memset(v->slots, 0xff, sizeof(int32_t) * (size_t)size);
    Py_ssize_t used = 0, entry = 0;
    v->starts[0] = 0;
    for (Py_ssize_t i = 0; i < length; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (ch == '\n') v->starts[++entry] = used;
        else v->chars[used++] = ch;
    }
    if (count) v->starts[count] = used;
    for (Py_ssize_t e = 0; e < count; e++) {
        const Py_UCS4 *key = v->chars + v->starts[e];
        Py_ssize_t n = v->starts[e + 1] - v->starts[e];
        uint64_t h = ucs_hash(key, n);
        Py_ssize_t at = vocab_slot(v, key, n, h);
        v->slots[at] = (int32_t)e; /* a later duplicate takes the slot, as in a dict */
        v->tags[at] = (uint32_t)(h >> 32);
    }
    PyObject *capsule = PyCapsule_New(v, VOCAB_CAPSULE, vocab_capsule_free);
    if (!capsule) vocab_free(v);
    return capsule;
}

static Vocab *vocab_of(PyObject *capsule) {
    return PyCapsule_GetPointer(capsule, VOCAB_CAPSULE); /* sets TypeError/ValueError */
}

/* Code points put together for one lookup. */
typedef struct {
    Py_UCS4 *data;
    Py_ssize_t size, capacity;
} Key;

static int key_reserve(Key *k, Py_ssize_t size) {
    if (size <= k->capacity) return 0;
    Py_ssize_t capacity = k->capacity ? k->capacity : 64;
    while (capacity < size) capacity *= 2;
    Py_UCS4 *grown = PyMem_Realloc(k->data, sizeof(Py_UCS4) * (size_t)capacity);
    if (!grown) {
        PyErr_NoMemory();
        return -1;
    }
    k->data = grown;
    k->capacity = capacity;
    return 0;
}

static inline void key_copy(Key *k, int kind, const void *data, Py_ssize_t start, Py_ssize_t end) {
    for (Py_ssize_t i = start; i < end; i++) k->data[k->size++] = PyUnicode_READ(kind, data, i);
}

static inline int key_lookup(Ids *ids, const Vocab *v, const Py_UCS4 *key, Py_ssize_t n) {
    int32_t e = vocab_get(v, key, n);
    return e < 0 ? 0 : ids_add(ids, e);
}

static inline int is_word_char(Py_UCS4 ch) { return Py_UNICODE_ISALNUM(ch) || ch == '_'; }

/* scorer_ids(sentences, words, chars, vectors): the feature ids of claims.ClaimModel.decision's
 * loop, as int32 bytes: (word ends, word ids, char ends, char ids, vector ends, vector ids);
 * words, chars and vectors (or None) are vocabulary() capsules. Tokens are claims._WORD's
 * ((?u)\b\w+\b|[?!%$]) of the lower-cased sentence, then its bigrams (two tokens and a
 * space); character n-grams are claims.char_ngrams of each whitespace-separated word
 * (str.split()). */
static PyObject *core_scorer_ids(PyObject *self, PyObject *args) {
    PyObject *sentences_obj, *words_obj, *chars_obj, *vectors_obj;
    if (!PyArg_ParseTuple(args, "OOOO", &sentences_obj, &words_obj, &chars_obj, &vectors_obj))
        return NULL;
    Vocab *words = vocab_of(words_obj), *chars = words ? vocab_of(chars_obj) : NULL;
    Vocab *vectors = NULL;
    if (!chars) return NULL;
    if (vectors_obj != Py_None && !(vectors = vocab_of(vectors_obj))) return NULL;
    PyObject *sentences = PySequence_Fast(sentences_obj, "scorer_ids: expected a sequence");
    if (!sentences) return NULL;
    Ids all[6] = {{NULL, 0, 0}, {NULL, 0, 0}, {NULL, 0, 0}, {NULL, 0, 0}, {NULL, 0, 0}, {NULL, 0, 0}};
    Ids *w_ends = &all[0], *w_cols = &all[1], *c_ends = &all[2], *c_cols = &all[3];
    Ids *v_ends = &all[4], *v_cols = &all[5];
    Ids spans = {NULL, 0, 0}; /* token starts and ends, in turn */
    Key key = {NULL, 0, 0};
    PyObject *result = NULL, *lowered = NULL;
    for (Py_ssize_t s = 0; s < PySequence_Fast_GET_SIZE(sentences); s++) {
        Py_CLEAR(lowered);
        PyObject *sentence = PySequence_Fast_GET_ITEM(sentences, s);
        if (!PyUnicode_Check(sentence)) {
            PyErr_SetString(PyExc_TypeError, "scorer_ids: sentences must be str");
            goto done;
        }
        lowered = PyObject_CallMethod(sentence, "lower", NULL);
        if (!lowered) goto done;
        int kind = PyUnicode_KIND(lowered);
        const void *data = PyUnicode_DATA(lowered);
        Py_ssize_t n = PyUnicode_GET_LENGTH(lowered);
        if (n >= INT32_MAX) {
            PyErr_SetString(PyExc_ValueError, "scorer_ids: sentence too long");
            goto done;
        }
        if (key_reserve(&key, 2 * n + 3)) goto done; /* the longest key: a bigram or padded word */
        spans.size = 0;
        for (Py_ssize_t i = 0; i < n;) {
            Py_UCS4 ch = PyUnicode_READ(kind, data, i);
            Py_ssize_t end = i + 1;
            if (is_word_char(ch)) {
                while (end < n && is_word_char(PyUnicode_READ(kind, data, end))) end++;
            } else if (ch != '?' && ch != '!' && ch != '%' && ch != '$') {
                i = end;
                continue;
            }
            if (ids_add(&spans, (int32_t)i) || ids_add(&spans, (int32_t)end)) goto done;
            i = end;
        }
        Py_ssize_t count = spans.size / 2;
        for (Py_ssize_t t = 0; t < count; t++) {
            key.size = 0;
            key_copy(&key, kind, data, spans.data[2 * t], spans.data[2 * t + 1]);
            if (key_lookup(w_cols, words, key.data, key.size)) goto done;
        }
        for (Py_ssize_t t = 0; t + 1 < count; t++) {
            key.size = 0;
            key_copy(&key, kind, data, spans.data[2 * t], spans.data[2 * t + 1]);
            key.data[key.size++] = ' ';
            key_copy(&key, kind, data, spans.data[2 * t + 2], spans.data[2 * t + 3]);
            if (key_lookup(w_cols, words, key.data, key.size)) goto done;
        }
        if (ids_add(w_ends, (int32_t)w_cols->size)) goto done;
        if (vectors) {
            for (Py_ssize_t t = 0; t < count; t++) {
                key.size = 0;
                key_copy(&key, kind, data, spans.data[2 * t], spans.data[2 * t + 1]);
                if (key_lookup(v_cols, vectors, key.data, key.size)) goto done;
            }
            if (ids_add(v_ends, (int32_t)v_cols->size)) goto done;
        }
        for (Py_ssize_t i = 0; i < n;) {
            if (Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i))) {
                i++;
                continue;
            }
            Py_ssize_t end = i + 1;
            while (end < n && !Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, end))) end++;
            key.size = 0; /* the word padded with a space on each side */
            key.data[key.size++] = ' ';
            key_copy(&key, kind, data, i, end);
            key.data[key.size++] = ' ';
            Py_ssize_t size = key.size;
            for (Py_ssize_t g = 2; g <= 5; g++) {
                if (size <= g) { /* shorter than g: the padded word itself once, nothing longer */
                    if (key_lookup(c_cols, chars, key.data, size)) goto done;
                    break;
                }
                for (Py_ssize_t at = 0; at + g <= size; at++)
                    if (key_lookup(c_cols, chars, key.data + at, g)) goto done;
            }
            i = end;
        }
        if (ids_add(c_ends, (int32_t)c_cols->size)) goto done;
    }
    result = PyTuple_New(6);
    if (!result) goto done;
    for (int k = 0; k < 6; k++) {
        PyObject *bytes = ids_bytes(&all[k]);
        if (!bytes) {
            Py_CLEAR(result);
            goto done;
        }
        PyTuple_SET_ITEM(result, k, bytes);
    }
done:
    for (int k = 0; k < 6; k++) PyMem_Free(all[k].data);
    PyMem_Free(spans.data);
    PyMem_Free(key.data);
    Py_XDECREF(lowered);
    Py_DECREF(sentences);
    return result;
}

/* shape_counts(sentences): per sentence, how many runs of word characters (re's \w+) and how
 * many decimal digits (re's \d) it holds, as int32 pairs: claims.shape_features's counts. */
static PyObject *core_shape_counts(PyObject *self, PyObject *arg) {
    PyObject *sentences = PySequence_Fast(arg, "shape_counts: expected a sequence");
    if (!sentences) return NULL;
    Ids counts = {NULL, 0, 0};
    PyObject *result = NULL;
    for (Py_ssize_t s = 0; s < PySequence_Fast_GET_SIZE(sentences); s++) {
        PyObject *sentence = PySequence_Fast_GET_ITEM(sentences, s);
        if (!PyUnicode_Check(sentence)) {
            PyErr_SetString(PyExc_TypeError, "shape_counts: sentences must be str");
            goto done;
        }
        int kind = PyUnicode_KIND(sentence);
        const void *data = PyUnicode_DATA(sentence);
        Py_ssize_t n = PyUnicode_GET_LENGTH(sentence);
        int32_t words = 0, digits = 0;
        int inside = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_UCS4 ch = PyUnicode_READ(kind, data, i);
            int word = is_word_char(ch);
            if (word && !inside) words++;
            inside = word;
            if (Py_UNICODE_ISDECIMAL(ch)) digits++;
        }
        if (ids_add(&counts, words) || ids_add(&counts, digits)) goto done;
    }
    result = ids_bytes(&counts);
done:
    PyMem_Free(counts.data);
    Py_DECREF(sentences);
    return result;
}

/* --- the quotation aligner's dynamic programme (alignment._align_steps) ------------------ */

enum { ST_NONE, ST_ELLIPSIS, ST_OMIT, ST_SOFT, ST_MATCH, ST_VARIANT, ST_CHANGE, ST_JOIN, ST_ADD,
       ST_BRACKET, ST_COUNT };
static const char *step_names[ST_COUNT] = {
    NULL, "ellipsis", "omit", "soft", "match", "variant", "change", "join", "add", "bracket",
};

typedef struct {
    int32_t pi, pj;
    int8_t kind;
} Back;

typedef struct {
    double *score;
    Back *back;
    Py_ssize_t width;
} Grid;

/* offer(i, j, value, step): keep the step when it scores strictly more */
static inline void offer(Grid *g, Py_ssize_t i, Py_ssize_t j, double value, int kind,
                         Py_ssize_t pi, Py_ssize_t pj) {
    Py_ssize_t at = i * g->width + j;
    if (value > g->score[at]) {
        g->score[at] = value;
        g->back[at].kind = (int8_t)kind;
        g->back[at].pi = (int32_t)pi;
        g->back[at].pj = (int32_t)pj;
    }
}

/* align_steps(kinds, soft_ends, names, keys, tok_keys, tok_flags, variant, costs, max_ellipsis,
 * max_bracket): the steps (kind, pi, pj, i, j) of the best alignment, first step first, or
 * None. kinds: bytes, b'w' word, b'b' bracket, b'e' ellipsis (anything else: neither);
 * soft_ends: ints (-1: none); names: bytes (1: a name); keys: tuples of accepted keys;
 * tok_flags: bytes, 1 furniture, 2 new block, 4 broken, 8 stands in for a name;
 * costs: (exact, variant, changed, added, omitted, furniture, bracket, ellipsis, soft_skip). */
static PyObject *core_align_steps(PyObject *self, PyObject *args) {
    PyObject *soft_ends, *keys, *tok_keys, *variant, *costs_obj;
    Py_buffer kinds_view, names_view, flags_view;
    Py_ssize_t max_ellipsis, max_bracket;
    if (!PyArg_ParseTuple(args, "y*Oy*OOy*OOnn", &kinds_view, &soft_ends, &names_view, &keys,
                          &tok_keys, &flags_view, &variant, &costs_obj, &max_ellipsis,
                          &max_bracket))
        return NULL;
    PyObject *result = NULL;
    double *score = NULL;
    Back *back = NULL;
    Py_ssize_t *soft = NULL;
    double c[9];
    Py_ssize_t n = kinds_view.len, m = PyList_Check(tok_keys) ? PyList_GET_SIZE(tok_keys) : -1;
    const char *kinds = kinds_view.buf, *names = names_view.buf, *flags = flags_view.buf;
    if (m < 0 || !PyList_Check(soft_ends) || !PyList_Check(keys) || PyList_GET_SIZE(keys) != n ||
        PyList_GET_SIZE(soft_ends) != n || names_view.len != n || flags_view.len != m ||
        !PyTuple_Check(costs_obj) || PyTuple_GET_SIZE(costs_obj) != 9) {
        PyErr_SetString(PyExc_ValueError, "align_steps: arguments of inconsistent sizes");
        goto done;
    }
    for (int k = 0; k < 9; k++) {
        c[k] = PyFloat_AsDouble(PyTuple_GET_ITEM(costs_obj, k));
        if (c[k] == -1.0 && PyErr_Occurred()) goto done;
    }
    const double EXACT = c[0], VARIANT = c[1], CHANGED = c[2], ADDED = c[3], OMITTED = c[4],
                 FURNITURE = c[5], BRACKET = c[6], ELLIPSIS = c[7], SOFT_SKIP = c[8];
    soft = PyMem_Malloc(sizeof(Py_ssize_t) * (n ? n : 1));
    if (!soft) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        soft[i] = PyLong_AsSsize_t(PyList_GET_ITEM(soft_ends, i));
        if (soft[i] == -1 && PyErr_Occurred()) goto done;
    }
    Py_ssize_t width = m + 1, cells = (n + 1) * width;
    score = PyMem_Malloc(sizeof(double) * cells);
    back = PyMem_Calloc(cells, sizeof(Back));
    if (!score || !back) {
        PyErr_NoMemory();
        goto done;
    }
    const double neg = -Py_HUGE_VAL;
    for (Py_ssize_t at = 0; at < cells; at++) score[at] = at < width ? 0.0 : neg;
    Grid g = {score, back, width};
    for (Py_ssize_t i = 0; i <= n; i++) {
        double *row = score + i * width;
        int kind = i < n ? kinds[i] : 0;
        if (kind == 'e') {
            double best = neg;
            Py_ssize_t best_j = -1;
            for (Py_ssize_t j = 0; j <= m; j++) {
                if (row[j] > best) {
                    best = row[j];
                    best_j = j;
                }
                if (best > neg && j - best_j <= max_ellipsis)
                    offer(&g, i + 1, j, best + ELLIPSIS, ST_ELLIPSIS, i, best_j);
            }
        }
        PyObject *item_keys = i < n ? PyList_GET_ITEM(keys, i) : NULL;
        for (Py_ssize_t j = 0; j <= m; j++) {
            double value = row[j];
            if (value == neg) continue;
            if (0 < i && i < n && j < m)
                offer(&g, i, j + 1, value + ((flags[j] & 1) ? FURNITURE : OMITTED), ST_OMIT, i, j);
            if (i == n) continue;
            if (kind == 'w') {
                if (soft[i] >= 0) offer(&g, soft[i], j, value + SOFT_SKIP, ST_SOFT, i, j);
                if (j < m) {
                    PyObject *tk = PyList_GET_ITEM(tok_keys, j);
                    int found = PySequence_Contains(item_keys, tk);
                    if (found < 0) goto done;
                    if (found) {
                        offer(&g, i + 1, j + 1, value + EXACT, ST_MATCH, i, j);
                    } else {
                        int similar = 0;
                        if (names[i]) {
                            PyObject *first = PySequence_GetItem(item_keys, 0);
                            if (!first) goto done;
                            PyObject *answer =
                                PyObject_CallFunctionObjArgs(variant, first, tk, Py_True, NULL);
                            Py_DECREF(first);
                            if (!answer) goto done;
                            similar = PyObject_IsTrue(answer);
                            Py_DECREF(answer);
                            if (similar < 0) goto done;
                        }
                        if (similar) {
                            offer(&g, i + 1, j + 1, value + VARIANT, ST_VARIANT, i, j);
                        } else {
                            double cost = CHANGED - ((flags[j] & 2) ? 1.0 : 0.0);
                            offer(&g, i + 1, j + 1, value + cost, ST_CHANGE, i, j);
                        }
                    }
                    if ((flags[j] & 4) && j + 1 < m) {
                        PyObject *joined = PyUnicode_Concat(tk, PyList_GET_ITEM(tok_keys, j + 1));
                        if (!joined) goto done;
                        int in = PySequence_Contains(item_keys, joined);
                        Py_DECREF(joined);
                        if (in < 0) goto done;
                        if (in) offer(&g, i + 1, j + 2, value + EXACT, ST_JOIN, i, j);
                    }
                }
                offer(&g, i + 1, j, value + ADDED, ST_ADD, i, j);
            } else if (kind == 'b') {
                Py_ssize_t most = m - j < max_bracket ? m - j : max_bracket;
                for (Py_ssize_t k = 0; k <= most; k++) {
                    double bonus = 0.0;
                    if (0 < k && k <= 2) {
                        int all = 1;
                        for (Py_ssize_t t = j; t < j + k; t++) all = all && (flags[t] & 8);
                        if (all) bonus = 0.1;
                    }
                    offer(&g, i + 1, j + k, value + BRACKET - 0.01 * (double)k + bonus, ST_BRACKET,
                          i, j);
                }
            }
        }
    }
    /* the end: the first column of the best score in the last row */
    double *last = score + n * width;
    Py_ssize_t end_j = 0;
    for (Py_ssize_t j = 1; j <= m; j++)
        if (last[j] > last[end_j]) end_j = j;
    if (last[end_j] == neg) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    PyObject *steps = PyList_New(0);
    if (!steps) goto done;
    Py_ssize_t i = n, j = end_j;
    while (i > 0) {
        Back *b = &back[i * width + j];
        if (b->kind == ST_NONE) {
            Py_DECREF(steps);
            result = Py_NewRef(Py_None);
            goto done;
        }
        PyObject *step = Py_BuildValue("(snnnn)", step_names[b->kind], (Py_ssize_t)b->pi,
                                       (Py_ssize_t)b->pj, i, j);
        if (!step || PyList_Append(steps, step) < 0) {
            Py_XDECREF(step);
            Py_DECREF(steps);
            goto done;
        }
        Py_DECREF(step);
        i = b->pi;
        j = b->pj;
    }
    if (PyList_Reverse(steps) < 0) {
        Py_DECREF(steps);
        goto done;
    }
    result = steps;
done:
    PyMem_Free(score);
    PyMem_Free(back);
    PyMem_Free(soft);
    PyBuffer_Release(&kinds_view);
    PyBuffer_Release(&names_view);
    PyBuffer_Release(&flags_view);
    return result;
}

static PyMethodDef core_methods[] = {
    {"blake2b64", core_blake2b64, METH_O, "blake2b(s.encode(), digest_size=8) as an unsigned int"},
    {"trigram_key", core_trigram_key, METH_O, "signed blake2b-8 key of ' '.join(words)"},
    {"trigram_keys", core_trigram_keys, METH_O, "keys of every word trigram of a word list"},
    {"band_keys", core_band_keys, METH_VARARGS, "MinHash band keys of each set of terms"},
    {"tokens", core_tokens, METH_VARARGS, "attribution.TOKEN's spans in text[start:end]"},
    {"word_keys", core_word_keys, METH_VARARGS, "alignment.text_keys's (key, start) pairs"},
    {"ascii_words", core_ascii_words, METH_VARARGS, "similarity.words of ASCII text, or None"},
    {"shape", core_shape, METH_O, "a word's shape: X x d for upper, lower, digit, runs of 2"},
    {"sum_features", core_sum_features, METH_VARARGS, "the summed weight rows of features"},
    {"viterbi", core_viterbi, METH_VARARGS, "best label ids of each paragraph"},
    {"vocabulary", core_vocabulary, METH_O, "a vocabulary (entries joined by newlines) for scorer_ids"},
    {"scorer_ids", core_scorer_ids, METH_VARARGS, "claims.ClaimModel.decision's feature ids"},
    {"shape_counts", core_shape_counts, METH_O, "claims.shape_features's word and digit counts"},
    {"row_digest", core_row_digest, METH_VARARGS, "binding.row_digest: (sha256 hex, columns)"},
    {"align_steps", core_align_steps, METH_VARARGS, "alignment._align_steps: the best steps"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef core_module = {
    PyModuleDef_HEAD_INIT, "provenance._core",
    "The per-token and per-claim loops of provenance in C (see provenance/compiled.py).", -1,
    core_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__core(void) {
    PyObject *hashlib = PyImport_ImportModule("hashlib");
    if (!hashlib) return NULL;
    hashlib_sha256 = PyObject_GetAttrString(hashlib, "sha256");
    Py_DECREF(hashlib);
    if (!hashlib_sha256) return NULL;
    return PyModule_Create(&core_module);
}

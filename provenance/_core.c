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
 *   shape(str)                 attribution._shape
 *   sum_features(...)          attribution._FastTagger._sum, written into a row of an array
 *   viterbi(...)               attribution._FastTagger.tag's decoding (crfsuite's recursion)
 *
 * Only the stable C API and the buffer protocol are used (no numpy headers): arrays arrive as
 * C-contiguous float64 buffers.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
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

static PyMethodDef core_methods[] = {
    {"blake2b64", core_blake2b64, METH_O, "blake2b(s.encode(), digest_size=8) as an unsigned int"},
    {"trigram_key", core_trigram_key, METH_O, "signed blake2b-8 key of ' '.join(words)"},
    {"trigram_keys", core_trigram_keys, METH_O, "keys of every word trigram of a word list"},
    {"band_keys", core_band_keys, METH_VARARGS, "MinHash band keys of each set of terms"},
    {"shape", core_shape, METH_O, "a word's shape: X x d for upper, lower, digit, runs of 2"},
    {"sum_features", core_sum_features, METH_VARARGS, "the summed weight rows of features"},
    {"viterbi", core_viterbi, METH_VARARGS, "best label ids of each paragraph"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef core_module = {
    PyModuleDef_HEAD_INIT, "provenance._core",
    "The per-token and per-claim loops of provenance in C (see provenance/compiled.py).", -1,
    core_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__core(void) { return PyModule_Create(&core_module); }

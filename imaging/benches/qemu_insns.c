/* A qemu-user plugin that counts executed guest instructions per function, and how many of them
 * are Advanced SIMD (NEON): an instruction-count proxy for Graviton, where time cannot be measured
 * from an x86_64 machine. Debian's qemu-user loads plugins but ships neither the example plugins
 * nor the header, so the few entry points of qemu's stable plugin API (version 1, QEMU 7.x) are
 * declared here.
 *
 *   qemu-aarch64 -plugin ./qemu_insns.so,out=counts.tsv ./program ...
 *
 * writes one line per function: symbol, instructions executed, of which NEON. Code qemu finds no
 * symbol for (assembly without a symbol size, shared libraries) is written per block as its
 * address, `0x...`, for the caller to resolve. Counting is inline (one add per translated block
 * per execution), so the guest runs at about qemu's usual speed. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
typedef struct qemu_info_t qemu_info_t;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t, struct qemu_plugin_tb *);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t, void *);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t, qemu_plugin_vcpu_tb_trans_cb_t);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *, enum qemu_plugin_op,
                                              void *, uint64_t);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t, qemu_plugin_udata_cb_t, void *);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *, size_t);
char *qemu_plugin_insn_disas(const struct qemu_plugin_insn *);
const char *qemu_plugin_insn_symbol(const struct qemu_plugin_insn *);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* One translated block: its function, its size, and how often it ran (bumped by qemu inline). */
struct block {
    uint64_t executions;
    uint64_t vaddr;
    const char *symbol;
    uint32_t insns;
    uint32_t neon;
    struct block *next;
};

static struct block *blocks;
static char out_path[4096] = "qemu_insns.tsv";

/* An A64 instruction is Advanced SIMD when it names a vector register (v0.16b, v3.s[1]) or a
 * 128-bit q register; scalar floating point (d0, s1) is not counted. */
static int is_neon(const char *disassembly)
{
    for (const char *p = disassembly; *p; p++) {
        int at_word_start = p == disassembly || p[-1] == ' ' || p[-1] == ',' || p[-1] == '{';
        if (at_word_start && (*p == 'v' || *p == 'q') && p[1] >= '0' && p[1] <= '9') {
            return 1;
        }
    }
    return 0;
}

static void translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    struct block *block = calloc(1, sizeof *block);
    if (block == NULL) {
        abort();
    }
    size_t insns = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < insns; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        char *text = qemu_plugin_insn_disas(insn);
        block->neon += text != NULL && is_neon(text);
        free(text);
        if (block->symbol == NULL) {
            block->symbol = qemu_plugin_insn_symbol(insn);
        }
    }
    block->insns = (uint32_t)insns;
    block->vaddr = qemu_plugin_tb_vaddr(tb);
    /* qemu translates on one thread at a time; the guest programs measured are single-threaded. */
    block->next = blocks;
    blocks = block;
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &block->executions, 1);
}

struct total {
    const char *symbol;
    uint64_t vaddr;
    uint64_t insns;
    uint64_t neon;
};

/* Named blocks sort by name; unnamed ones (symbol NULL) after them, by address. */
static int by_symbol(const void *a, const void *b)
{
    const struct total *x = a, *y = b;
    if (x->symbol && y->symbol) {
        return strcmp(x->symbol, y->symbol);
    }
    if (x->symbol || y->symbol) {
        return x->symbol ? -1 : 1;
    }
    return (x->vaddr > y->vaddr) - (x->vaddr < y->vaddr);
}

static int same_function(const struct total *x, const struct total *y)
{
    return x->symbol ? y->symbol && strcmp(x->symbol, y->symbol) == 0
                     : !y->symbol && x->vaddr == y->vaddr;
}

static void finished(qemu_plugin_id_t id, void *unused)
{
    (void)id;
    (void)unused;
    size_t count = 0;
    for (struct block *b = blocks; b; b = b->next) {
        count++;
    }
    struct total *totals = calloc(count ? count : 1, sizeof *totals);
    if (totals == NULL) {
        abort();
    }
    size_t i = 0;
    for (struct block *b = blocks; b; b = b->next, i++) {
        totals[i].symbol = b->symbol;
        totals[i].vaddr = b->vaddr;
        totals[i].insns = b->executions * b->insns;
        totals[i].neon = b->executions * b->neon;
    }
    qsort(totals, count, sizeof *totals, by_symbol);
    FILE *out = fopen(out_path, "w");
    if (out == NULL) {
        perror(out_path);
        return;
    }
    fputs("symbol\tinstructions\tneon\n", out);
    for (size_t at = 0; at < count;) {
        struct total sum = totals[at++];
        while (at < count && same_function(&totals[at], &sum)) {
            sum.insns += totals[at].insns;
            sum.neon += totals[at++].neon;
        }
        if (sum.insns == 0) {
            continue;
        }
        if (sum.symbol) {
            fprintf(out, "%s", sum.symbol);
        } else {
            fprintf(out, "0x%" PRIx64, sum.vaddr);
        }
        fprintf(out, "\t%" PRIu64 "\t%" PRIu64 "\n", sum.insns, sum.neon);
    }
    fclose(out);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id,
                                                               const qemu_info_t *info, int argc,
                                                               char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "out=", 4) == 0) {
            snprintf(out_path, sizeof out_path, "%s", argv[i] + 4);
        }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, translated);
    qemu_plugin_register_atexit_cb(id, finished, NULL);
    return 0;
}

/*
 * riskmodel.h - the market risk model: an EWMA covariance matrix of the
 * instruments' returns, kept positive semi-definite, and per book (an
 * account, or the firm) the aggregates that give its parametric VaR, the
 * incremental VaR of a trade and its stress-scenario losses in O(1).
 *
 * Instruments are numbered 0..n-1 by the caller (the risk engine maps
 * symbols to numbers); books 0..max_books-1, book OMS_RISKMODEL_TOTAL being
 * the sum of all the others, kept by the model.
 *
 *   market    oms_riskmodel_tick(i, price) on every trade or mid: O(1).
 *   sample    oms_riskmodel_sample() at the sampling interval (a day, a
 *             minute: the configured horizon is in these units): returns
 *             from the last sample, the covariance updated, every book's
 *             covariance-weighted exposure recomputed. O(n^2 + books n^2),
 *             off the order path.
 *   position  oms_riskmodel_add(book, i, delta) when a book's exposure in i
 *             (money: signed quantity x price x multiplier) moves: O(n).
 *   check     oms_riskmodel_ivar(book, i, delta): the VaR before and after
 *             the trade, O(1); oms_riskmodel_stress_after(): the worst
 *             scenario loss after it, O(scenarios).
 *
 * Statistics are binary doubles (volatilities, correlations, VaR); money
 * crosses into and out of the model through oms_riskmodel_dec_in() and
 * oms_riskmodel_dec_out() (rounding a risk number up, never understating
 * it). See docs/risk.md "Market risk model" for the formulas.
 *
 * Not thread-safe: one thread (the core's) owns a model.
 */
#ifndef OMS_RISKMODEL_H
#define OMS_RISKMODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oms/common.h"
#include "oms/decimal.h"

OMS_BEGIN_DECLS

typedef struct oms_riskmodel_s oms_riskmodel_t;

#define OMS_RISKMODEL_TOTAL 0u /* the book that sums all others */
#define OMS_RISKMODEL_MAX_N 4096u

typedef struct oms_riskmodel_config_s {
  uint32_t n;             /* instruments, 1..OMS_RISKMODEL_MAX_N */
  uint32_t max_books;     /* books including TOTAL, >= 1 */
  uint32_t max_scenarios; /* stress scenarios, 0.. */
  uint32_t hist_window;   /* return vectors kept for historical VaR; 0: 250 */
  double lambda;          /* EWMA decay in (0, 1); 0: 0.94 (RiskMetrics) */
  double confidence;      /* one-sided, in (0.5, 1); 0: 0.99 */
  double horizon;         /* in sampling intervals, > 0; 0: 1 (square-root-of-time) */
} oms_riskmodel_config_t;

/* Creates a model with a zero covariance (no risk until returns or a
 * history file arrive). Returns 0, OMS_EINVAL or OMS_ENOMEM (*out NULL). */
OMS_EXTERN int oms_riskmodel_create(const oms_riskmodel_config_t *cfg, oms_riskmodel_t **out);
OMS_EXTERN void oms_riskmodel_destroy(oms_riskmodel_t *m);

/* The instruments and books the model was created with. */
OMS_EXTERN uint32_t oms_riskmodel_n(const oms_riskmodel_t *m);
OMS_EXTERN uint32_t oms_riskmodel_books(const oms_riskmodel_t *m);

/* The z of the configured confidence (the standard normal quantile). */
OMS_EXTERN double oms_riskmodel_z(const oms_riskmodel_t *m);

/* The latest price of instrument i (> 0). O(1). OMS_EINVAL. */
OMS_EXTERN int oms_riskmodel_tick(oms_riskmodel_t *m, uint32_t i, double price);

/* Takes a sample: for every instrument with a price now and at the last
 * sample, the simple return r_i = p_i / p0_i - 1 (0 otherwise), then
 *   S <- lambda S + (1 - lambda) r r^T
 * (a PSD matrix plus a PSD rank-one term stays PSD), keeps r for historical
 * VaR and recomputes every book's S x. The first call only records prices. */
OMS_EXTERN void oms_riskmodel_sample(oms_riskmodel_t *m);

/* The number of return vectors taken in (0 after create, kept by save/load). */
OMS_EXTERN uint64_t oms_riskmodel_samples(const oms_riskmodel_t *m);

/* Sets the covariance (a cold start from a history file or configuration):
 * cov is n x n row-major, made symmetric ((A + A^T) / 2) and, when it is
 * not positive semi-definite, repaired (oms_riskmodel_repair). *repaired
 * (may be NULL) says whether it was. OMS_EINVAL (NaN, negative variance). */
OMS_EXTERN int oms_riskmodel_set_cov(oms_riskmodel_t *m, const double *cov, bool *repaired);

/* Cold start from a history file: one line per sample, n prices separated
 * by commas or blanks (lines starting with '#' skipped), fed to tick() and
 * sample() in order. Returns 0, OMS_EIO or OMS_EINVAL (a line without n
 * positive prices; *line, may be NULL, is its number). */
OMS_EXTERN int oms_riskmodel_load_history(oms_riskmodel_t *m, const char *path, int *line);

/* Repairs a symmetric n x n matrix a in place to the nearest (in the sense
 * below) positive semi-definite one: the eigenvalues (cyclic Jacobi) are
 * clipped at zero and the matrix rebuilt, then rescaled so that its
 * diagonal (the variances) is what it was. scratch holds 2 n^2 doubles.
 * Returns the number of negative eigenvalues found (0: a was PSD and is
 * unchanged). O(n^3): configuration time only. */
OMS_EXTERN int oms_riskmodel_repair(double *a, uint32_t n, double *scratch);

/* The smallest eigenvalue of the symmetric matrix a (copied into scratch,
 * 2 n^2 doubles). For tests and reports. */
OMS_EXTERN double oms_riskmodel_min_eigen(const double *a, uint32_t n, double *scratch);

/* The covariance of i and j. */
OMS_EXTERN double oms_riskmodel_cov(const oms_riskmodel_t *m, uint32_t i, uint32_t j);

/* Book b's exposure in i moves by delta (money; negative: less long or more
 * short); TOTAL moves with it. O(n). OMS_EINVAL. */
OMS_EXTERN int oms_riskmodel_add(oms_riskmodel_t *m, uint32_t b, uint32_t i, double delta);

/* Book b's exposure in i. */
OMS_EXTERN double oms_riskmodel_exposure(const oms_riskmodel_t *m, uint32_t b, uint32_t i);

/* Parametric VaR of book b: z sqrt(h) sqrt(x^T S x). O(1). */
OMS_EXTERN double oms_riskmodel_var(const oms_riskmodel_t *m, uint32_t b);

/* The VaR of book b before and after its exposure in i moves by delta,
 * from the maintained y = S x and q = x^T S x:
 *   q' = q + 2 delta y_i + delta^2 S_ii,   VaR' = z sqrt(h) sqrt(max(q', 0))
 * O(1), exact (no linearisation). */
OMS_EXTERN void oms_riskmodel_ivar(const oms_riskmodel_t *m, uint32_t b, uint32_t i, double delta,
                                   double *var_before, double *var_after);

/* Historical VaR of book b over the kept return vectors: the loss -x.r at
 * the (1 - confidence) empirical quantile (the k-th worst, k = floor((1 -
 * confidence) W) + 1), times sqrt(h). 0 with no returns. O(W n + W log W):
 * for reports. */
OMS_EXTERN double oms_riskmodel_hvar(oms_riskmodel_t *m, uint32_t b);

/* ---- stress scenarios ---- */

/* Sets scenario s (< max_scenarios) called name: shock[i] is the relative
 * price move of instrument i (e.g. -0.2), n values. Every book's scenario
 * P&L is recomputed (O(books n)). OMS_EINVAL. */
OMS_EXTERN int oms_riskmodel_set_scenario(oms_riskmodel_t *m, uint32_t s, const char *name,
                                          const double *shock);

/* The scenarios set (the highest s set + 1) and the name of s ("" unset). */
OMS_EXTERN uint32_t oms_riskmodel_scenarios(const oms_riskmodel_t *m);
OMS_EXTERN const char *oms_riskmodel_scenario_name(const oms_riskmodel_t *m, uint32_t s);

/* Book b's P&L under scenario s: sum_i x_i shock_s,i (a loss is negative). */
OMS_EXTERN double oms_riskmodel_stress_pnl(const oms_riskmodel_t *m, uint32_t b, uint32_t s);

/* The worst scenario loss (>= 0) of book b after its exposure in i moves by
 * delta (delta 0: as it is), and which scenario (*worst, may be NULL; -1
 * when no scenario loses). O(scenarios). */
OMS_EXTERN double oms_riskmodel_stress_after(const oms_riskmodel_t *m, uint32_t b, uint32_t i,
                                             double delta, int *worst);

/* ---- correlation groups ---- */

/* Groups the instruments whose correlation S_ij / sqrt(S_ii S_jj) is above
 * threshold, transitively (union-find): group_of[i] is the smallest member
 * of i's group (i itself when alone). O(n^2). For the risk engine's
 * OMS_RISK_GROUP_CORRELATION groups. Returns the number of groups with two
 * members or more. */
OMS_EXTERN uint32_t oms_riskmodel_corr_groups(const oms_riskmodel_t *m, double threshold,
                                              uint32_t *group_of);

/* ---- money at the boundary ---- */

/* A decimal amount as a double (raw / 10^8: exact below 2^53 raw units,
 * about 90 million in account currency, and correctly rounded above). */
OMS_EXTERN double oms_riskmodel_dec_in(oms_dec_t d);

/* A risk number (VaR, a stress loss) as a decimal rounded up to 10^-8,
 * never understated; OMS_EOVERFLOW for NaN or out of range. */
OMS_EXTERN int oms_riskmodel_dec_out(double v, oms_dec_t *out);

/* ---- persistence ---- */

/* Writes the model's state (covariance, last sampled and latest prices,
 * the return window, sample count, scenarios, books' exposures) to path
 * durably: a temporary file, fsync, rename, fsync of the directory; a
 * checksum covers it. Returns 0 or OMS_EIO. */
OMS_EXTERN int oms_riskmodel_save(const oms_riskmodel_t *m, const char *path);

/* Reads what oms_riskmodel_save wrote into m, created with the same n,
 * max_books, max_scenarios and hist_window. The derived aggregates (S x,
 * x^T S x, scenario P&L) are recomputed. Returns 0, OMS_EIO, OMS_ECORRUPT
 * (bad checksum or header) or OMS_EINVAL (other dimensions); m is unchanged
 * on failure. */
OMS_EXTERN int oms_riskmodel_load(oms_riskmodel_t *m, const char *path);

OMS_END_DECLS

#endif /* OMS_RISKMODEL_H */

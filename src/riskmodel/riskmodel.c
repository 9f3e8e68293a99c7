/*
 * riskmodel.c - the market risk model: EWMA covariance, PSD repair,
 * parametric and historical VaR, incremental VaR and stress scenarios.
 *
 * NOTES ON THE DESIGN
 *
 * Covariance. RiskMetrics' exponentially weighted estimator with zero mean:
 * at each sample S <- lambda S + (1 - lambda) r r^T, r the simple returns
 * since the previous sample. Only the upper triangle is computed and then
 * mirrored, so S stays exactly symmetric. A PSD matrix plus lambda-scaled
 * PSD terms is PSD, so updates need no repair; a matrix given whole (a cold
 * start) is checked and repaired once (oms_riskmodel_repair).
 *
 * Books. Per book the exposure vector x (money), y = S x and q = x^T S x.
 * A trade of delta in instrument i gives x' = x + delta e_i, so
 *   q' = x'^T S x' = q + 2 delta y_i + delta^2 S_ii
 * exactly, in O(1): the pre-trade incremental VaR needs no matrix work.
 * Moving x itself updates y by delta S[.,i] (O(n)); a new S recomputes y
 * and q for every book (O(books n^2)), which is why sampling is off the
 * order path. Stress P&L per book and scenario L_s = sum_i x_i shock_s,i is
 * linear in x too: a trade moves it by delta shock_s,i.
 *
 * Persistence. The state is what sampling accumulated since the first tick
 * (market data is not journaled), so it is saved whole, durably, and read
 * back bit for bit; the derived y, q and L are recomputed from it.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "oms/error.h"
#include "oms/riskmodel.h"

#define NAME_MAX_ 31

struct oms_riskmodel_s {
  oms_riskmodel_config_t cfg;
  uint32_t n, nb, ns, w;
  double z, sqrt_h;
  double *cov;      /* n x n */
  double *px, *px0; /* latest and last sampled prices (0: none) */
  double *hist;     /* w x n ring of return vectors */
  uint32_t hist_head, hist_count;
  uint64_t samples;
  double *x, *y; /* nb x n */
  double *q;     /* nb */
  double *shock; /* ns x n */
  /* The same shocks by instrument (n x ns): an order reads one
   * instrument's shocks in every scenario, a line or two, not one line
   * per scenario a page apart. */
  double *shock_i;
  double *spnl; /* nb x ns */
  char (*sname)[NAME_MAX_ + 1];
  uint32_t nscen;
  double *scratch; /* hvar: w doubles */
};

/* The standard normal quantile by bisection on erfc: configuration time
 * only, exact to double precision. */
static double norm_quantile(double p) {
  double lo = -40, hi = 40;
  for (int i = 0; i < 200; i++) {
    double mid = (lo + hi) / 2;
    if (0.5 * erfc(-mid / sqrt(2.0)) < p)
      lo = mid;
    else
      hi = mid;
  }
  return (lo + hi) / 2;
}

int oms_riskmodel_create(const oms_riskmodel_config_t *cfg, oms_riskmodel_t **out) {
  *out = NULL;
  if (cfg == NULL || cfg->n == 0 || cfg->n > OMS_RISKMODEL_MAX_N || cfg->max_books == 0 ||
      cfg->max_books > (1u << 16) || cfg->max_scenarios > 1024 || cfg->hist_window > 100000 ||
      cfg->lambda < 0 || cfg->lambda >= 1 || cfg->confidence < 0 || cfg->confidence >= 1 ||
      (cfg->confidence != 0 && cfg->confidence <= 0.5) || cfg->horizon < 0)
    return OMS_EINVAL;
  oms_riskmodel_t *m = oms__calloc(1, sizeof(*m));
  if (m == NULL) return OMS_ENOMEM;
  m->cfg = *cfg;
  if (m->cfg.lambda == 0) m->cfg.lambda = 0.94;
  if (m->cfg.confidence == 0) m->cfg.confidence = 0.99;
  if (m->cfg.horizon == 0) m->cfg.horizon = 1;
  if (m->cfg.hist_window == 0) m->cfg.hist_window = 250;
  size_t n = cfg->n, nb = cfg->max_books, ns = cfg->max_scenarios, w = m->cfg.hist_window;
  m->n = cfg->n;
  m->nb = cfg->max_books;
  m->ns = cfg->max_scenarios;
  m->w = m->cfg.hist_window;
  m->z = norm_quantile(m->cfg.confidence);
  m->sqrt_h = sqrt(m->cfg.horizon);
  m->cov = oms__calloc(n * n, sizeof(double));
  m->px = oms__calloc(n, sizeof(double));
  m->px0 = oms__calloc(n, sizeof(double));
  m->hist = oms__calloc(w * n, sizeof(double));
  m->x = oms__calloc(nb * n, sizeof(double));
  m->y = oms__calloc(nb * n, sizeof(double));
  m->q = oms__calloc(nb, sizeof(double));
  m->shock = oms__calloc(ns ? ns * n : 1, sizeof(double));
  m->shock_i = oms__calloc(ns ? ns * n : 1, sizeof(double));
  m->spnl = oms__calloc(ns ? nb * ns : 1, sizeof(double));
  m->sname = oms__calloc(ns ? ns : 1, sizeof(*m->sname));
  m->scratch = oms__calloc(w, sizeof(double));
  if (m->cov == NULL || m->px == NULL || m->px0 == NULL || m->hist == NULL || m->x == NULL ||
      m->y == NULL || m->q == NULL || m->shock == NULL || m->shock_i == NULL || m->spnl == NULL ||
      m->sname == NULL || m->scratch == NULL) {
    oms_riskmodel_destroy(m);
    return OMS_ENOMEM;
  }
  *out = m;
  return 0;
}

void oms_riskmodel_destroy(oms_riskmodel_t *m) {
  if (m == NULL) return;
  oms__free(m->cov);
  oms__free(m->px);
  oms__free(m->px0);
  oms__free(m->hist);
  oms__free(m->x);
  oms__free(m->y);
  oms__free(m->q);
  oms__free(m->shock);
  oms__free(m->shock_i);
  oms__free(m->spnl);
  oms__free(m->sname);
  oms__free(m->scratch);
  oms__free(m);
}

double oms_riskmodel_z(const oms_riskmodel_t *m) { return m->z; }
uint32_t oms_riskmodel_n(const oms_riskmodel_t *m) { return m->n; }
uint32_t oms_riskmodel_books(const oms_riskmodel_t *m) { return m->nb; }

int oms_riskmodel_tick(oms_riskmodel_t *m, uint32_t i, double price) {
  if (i >= m->n || !(price > 0) || !isfinite(price)) return OMS_EINVAL;
  m->px[i] = price;
  return 0;
}

/* y = S x and q = x^T S x of book b, from scratch. */
static void book_refresh(oms_riskmodel_t *m, uint32_t b) {
  const double *x = m->x + (size_t)b * m->n;
  double *y = m->y + (size_t)b * m->n, q = 0;
  for (uint32_t i = 0; i < m->n; i++) {
    const double *row = m->cov + (size_t)i * m->n;
    double s = 0;
    for (uint32_t j = 0; j < m->n; j++) s += row[j] * x[j];
    y[i] = s;
    q += x[i] * s;
  }
  m->q[b] = q;
}

static void books_refresh(oms_riskmodel_t *m) {
  for (uint32_t b = 0; b < m->nb; b++) book_refresh(m, b);
}

void oms_riskmodel_sample(oms_riskmodel_t *m) {
  uint32_t n = m->n;
  double *r = m->hist + (size_t)m->hist_head * n;
  bool any = false, first = true;
  for (uint32_t i = 0; i < n; i++) {
    r[i] = 0;
    if (m->px0[i] > 0) first = false;
    if (m->px0[i] > 0 && m->px[i] > 0) {
      r[i] = m->px[i] / m->px0[i] - 1;
      any = true;
    }
    if (m->px[i] > 0) m->px0[i] = m->px[i];
  }
  if (first || !any) return;
  double lam = m->cfg.lambda, k = 1 - lam;
  for (uint32_t i = 0; i < n; i++) {
    double *row = m->cov + (size_t)i * n, ri = k * r[i];
    for (uint32_t j = i; j < n; j++) row[j] = lam * row[j] + ri * r[j];
  }
  for (uint32_t i = 0; i < n; i++)
    for (uint32_t j = 0; j < i; j++) m->cov[(size_t)i * n + j] = m->cov[(size_t)j * n + i];
  m->hist_head = (m->hist_head + 1) % m->w;
  if (m->hist_count < m->w) m->hist_count++;
  m->samples++;
  books_refresh(m);
}

uint64_t oms_riskmodel_samples(const oms_riskmodel_t *m) { return m->samples; }

double oms_riskmodel_cov(const oms_riskmodel_t *m, uint32_t i, uint32_t j) {
  return i < m->n && j < m->n ? m->cov[(size_t)i * m->n + j] : 0;
}

/* ---- eigenvalues and repair ----------------------------------------------- */

/* Cyclic Jacobi on a (n x n, symmetric, destroyed: its diagonal ends as the
 * eigenvalues), v receiving the eigenvectors as columns. */
static void jacobi(double *a, double *v, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    for (uint32_t j = 0; j < n; j++) v[(size_t)i * n + j] = i == j;
  for (int sweep = 0; sweep < 100; sweep++) {
    double off = 0, diag = 0;
    for (uint32_t i = 0; i < n; i++) {
      diag += a[(size_t)i * n + i] * a[(size_t)i * n + i];
      for (uint32_t j = i + 1; j < n; j++) off += a[(size_t)i * n + j] * a[(size_t)i * n + j];
    }
    if (off <= 1e-30 * (diag + 1e-300)) break;
    for (uint32_t p = 0; p < n; p++) {
      for (uint32_t q = p + 1; q < n; q++) {
        double apq = a[(size_t)p * n + q];
        if (apq == 0) continue;
        double app = a[(size_t)p * n + p], aqq = a[(size_t)q * n + q];
        double theta = (aqq - app) / (2 * apq);
        double t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
        double c = 1 / sqrt(t * t + 1), s = t * c;
        for (uint32_t k = 0; k < n; k++) { /* rows/columns p and q of a */
          double akp = a[(size_t)k * n + p], akq = a[(size_t)k * n + q];
          a[(size_t)k * n + p] = c * akp - s * akq;
          a[(size_t)k * n + q] = s * akp + c * akq;
        }
        for (uint32_t k = 0; k < n; k++) {
          double apk = a[(size_t)p * n + k], aqk = a[(size_t)q * n + k];
          a[(size_t)p * n + k] = c * apk - s * aqk;
          a[(size_t)q * n + k] = s * apk + c * aqk;
        }
        for (uint32_t k = 0; k < n; k++) {
          double vkp = v[(size_t)k * n + p], vkq = v[(size_t)k * n + q];
          v[(size_t)k * n + p] = c * vkp - s * vkq;
          v[(size_t)k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
}

double oms_riskmodel_min_eigen(const double *a, uint32_t n, double *scratch) {
  double *w = scratch, *v = scratch + (size_t)n * n;
  memcpy(w, a, (size_t)n * n * sizeof(double));
  jacobi(w, v, n);
  double mn = INFINITY;
  for (uint32_t i = 0; i < n; i++) mn = fmin(mn, w[(size_t)i * n + i]);
  return mn;
}

int oms_riskmodel_repair(double *a, uint32_t n, double *scratch) {
  double *w = scratch, *v = scratch + (size_t)n * n;
  memcpy(w, a, (size_t)n * n * sizeof(double));
  jacobi(w, v, n);
  /* A tolerance relative to the largest eigenvalue: round-off below it is
   * not a defect worth changing the matrix for. */
  double mx = 0;
  for (uint32_t i = 0; i < n; i++) mx = fmax(mx, fabs(w[(size_t)i * n + i]));
  int neg = 0;
  for (uint32_t i = 0; i < n; i++)
    if (w[(size_t)i * n + i] < -1e-12 * mx) neg++;
  if (neg == 0) return 0;
  if (n == 1) {
    a[0] = 0;
    return neg;
  }
  /* Eigenvalues into w[0..n) (each read before its slot is written), the
   * old variances into w[n..2n). */
  for (uint32_t i = 0; i < n; i++) w[i] = fmax(w[(size_t)i * n + i], 0);
  for (uint32_t i = 0; i < n; i++) w[n + i] = a[(size_t)i * n + i];
  for (uint32_t i = 0; i < n; i++) {
    for (uint32_t j = i; j < n; j++) {
      double s = 0;
      for (uint32_t k = 0; k < n; k++) s += v[(size_t)i * n + k] * w[k] * v[(size_t)j * n + k];
      a[(size_t)i * n + j] = a[(size_t)j * n + i] = s;
    }
  }
  /* Scaled back to the old variances: D A D with D diagonal and positive is
   * still PSD. A variance the clipping took to zero keeps zero. */
  for (uint32_t i = 0; i < n; i++) {
    double aii = a[(size_t)i * n + i];
    v[i] = aii > 0 ? sqrt(w[n + i] / aii) : 0;
  }
  for (uint32_t i = 0; i < n; i++)
    for (uint32_t j = 0; j < n; j++) a[(size_t)i * n + j] *= v[i] * v[j];
  for (uint32_t i = 0; i < n; i++)
    if (v[i] > 0) a[(size_t)i * n + i] = w[n + i];
  return neg;
}

int oms_riskmodel_set_cov(oms_riskmodel_t *m, const double *cov, bool *repaired) {
  uint32_t n = m->n;
  if (repaired != NULL) *repaired = false;
  for (size_t k = 0; k < (size_t)n * n; k++)
    if (!isfinite(cov[k])) return OMS_EINVAL;
  for (uint32_t i = 0; i < n; i++)
    if (cov[(size_t)i * n + i] < 0) return OMS_EINVAL;
  double *scratch = oms__malloc(2 * (size_t)n * n * sizeof(double));
  double *a = oms__malloc((size_t)n * n * sizeof(double));
  if (scratch == NULL || a == NULL) {
    oms__free(scratch);
    oms__free(a);
    return OMS_ENOMEM;
  }
  for (uint32_t i = 0; i < n; i++)
    for (uint32_t j = 0; j < n; j++)
      a[(size_t)i * n + j] = (cov[(size_t)i * n + j] + cov[(size_t)j * n + i]) / 2;
  int neg = oms_riskmodel_repair(a, n, scratch);
  if (repaired != NULL) *repaired = neg > 0;
  memcpy(m->cov, a, (size_t)n * n * sizeof(double));
  oms__free(scratch);
  oms__free(a);
  books_refresh(m);
  return 0;
}

int oms_riskmodel_load_history(oms_riskmodel_t *m, const char *path, int *line) {
  if (line != NULL) *line = 0;
  FILE *f = fopen(path, "r");
  if (f == NULL) return OMS_EIO;
  char buf[65536];
  int ln = 0, rc = 0;
  while (fgets(buf, sizeof buf, f) != NULL) {
    ln++;
    char *p = buf;
    while (*p == ' ' || *p == '\t') p++;
    if (*p == '#' || *p == '\n' || *p == '\0') continue;
    uint32_t i = 0;
    while (i < m->n) {
      char *end;
      double v = strtod(p, &end);
      if (end == p || !(v > 0) || !isfinite(v)) break;
      m->px[i++] = v;
      p = end;
      while (*p == ',' || *p == ' ' || *p == '\t') p++;
    }
    if (i != m->n || (*p != '\n' && *p != '\0' && *p != '\r')) {
      rc = OMS_EINVAL;
      if (line != NULL) *line = ln;
      break;
    }
    oms_riskmodel_sample(m);
  }
  if (rc == 0 && ferror(f)) rc = OMS_EIO;
  fclose(f);
  return rc;
}

/* ---- books ---------------------------------------------------------------- */

static void book_add(oms_riskmodel_t *m, uint32_t b, uint32_t i, double delta) {
  uint32_t n = m->n;
  double *x = m->x + (size_t)b * n, *y = m->y + (size_t)b * n;
  /* q' = q + 2 delta y_i + delta^2 S_ii, with y before the move */
  m->q[b] += 2 * delta * y[i] + delta * delta * m->cov[(size_t)i * n + i];
  x[i] += delta;
  for (uint32_t k = 0; k < n; k++) y[k] += delta * m->cov[(size_t)k * n + i];
  for (uint32_t s = 0; s < m->nscen; s++)
    m->spnl[(size_t)b * m->ns + s] += delta * m->shock_i[(size_t)i * m->ns + s];
}

int oms_riskmodel_add(oms_riskmodel_t *m, uint32_t b, uint32_t i, double delta) {
  if (b >= m->nb || i >= m->n || !isfinite(delta)) return OMS_EINVAL;
  book_add(m, b, i, delta);
  if (b != OMS_RISKMODEL_TOTAL) book_add(m, OMS_RISKMODEL_TOTAL, i, delta);
  return 0;
}

void oms_riskmodel_clear_books(oms_riskmodel_t *m) {
  if (m == NULL) return;
  memset(m->x, 0, sizeof(double) * m->nb * m->n);
  memset(m->y, 0, sizeof(double) * m->nb * m->n);
  memset(m->q, 0, sizeof(double) * m->nb);
  memset(m->spnl, 0, sizeof(double) * m->nb * m->ns);
}

double oms_riskmodel_exposure(const oms_riskmodel_t *m, uint32_t b, uint32_t i) {
  return b < m->nb && i < m->n ? m->x[(size_t)b * m->n + i] : 0;
}

static double var_of(const oms_riskmodel_t *m, double q) {
  return m->z * m->sqrt_h * sqrt(q > 0 ? q : 0);
}

double oms_riskmodel_var(const oms_riskmodel_t *m, uint32_t b) {
  return b < m->nb ? var_of(m, m->q[b]) : 0;
}

void oms_riskmodel_ivar(const oms_riskmodel_t *m, uint32_t b, uint32_t i, double delta,
                        double *var_before, double *var_after) {
  if (b >= m->nb || i >= m->n) {
    *var_before = *var_after = 0;
    return;
  }
  double q = m->q[b];
  double q2 =
      q + 2 * delta * m->y[(size_t)b * m->n + i] + delta * delta * m->cov[(size_t)i * m->n + i];
  *var_before = var_of(m, q);
  *var_after = var_of(m, q2);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double oms_riskmodel_hvar(oms_riskmodel_t *m, uint32_t b) {
  if (b >= m->nb || m->hist_count == 0) return 0;
  const double *x = m->x + (size_t)b * m->n;
  for (uint32_t t = 0; t < m->hist_count; t++) {
    const double *r = m->hist + (size_t)t * m->n;
    double pnl = 0;
    for (uint32_t i = 0; i < m->n; i++) pnl += x[i] * r[i];
    m->scratch[t] = pnl;
  }
  qsort(m->scratch, m->hist_count, sizeof(double), cmp_double);
  uint32_t k = (uint32_t)floor((1 - m->cfg.confidence) * m->hist_count);
  if (k >= m->hist_count) k = m->hist_count - 1;
  double loss = -m->scratch[k];
  return loss > 0 ? loss * m->sqrt_h : 0;
}

/* ---- stress --------------------------------------------------------------- */

int oms_riskmodel_set_scenario(oms_riskmodel_t *m, uint32_t s, const char *name,
                               const double *shock) {
  if (s >= m->ns || name == NULL || strlen(name) > NAME_MAX_ || shock == NULL) return OMS_EINVAL;
  for (uint32_t i = 0; i < m->n; i++)
    if (!isfinite(shock[i])) return OMS_EINVAL;
  memcpy(m->shock + (size_t)s * m->n, shock, m->n * sizeof(double));
  for (uint32_t i = 0; i < m->n; i++) m->shock_i[(size_t)i * m->ns + s] = shock[i];
  strcpy(m->sname[s], name);
  if (s >= m->nscen) m->nscen = s + 1;
  for (uint32_t b = 0; b < m->nb; b++) {
    double pnl = 0;
    for (uint32_t i = 0; i < m->n; i++) pnl += m->x[(size_t)b * m->n + i] * shock[i];
    m->spnl[(size_t)b * m->ns + s] = pnl;
  }
  return 0;
}

uint32_t oms_riskmodel_scenarios(const oms_riskmodel_t *m) { return m->nscen; }

const char *oms_riskmodel_scenario_name(const oms_riskmodel_t *m, uint32_t s) {
  return s < m->nscen ? m->sname[s] : "";
}

double oms_riskmodel_stress_pnl(const oms_riskmodel_t *m, uint32_t b, uint32_t s) {
  return b < m->nb && s < m->nscen ? m->spnl[(size_t)b * m->ns + s] : 0;
}

double oms_riskmodel_stress_after(const oms_riskmodel_t *m, uint32_t b, uint32_t i, double delta,
                                  int *worst) {
  if (worst != NULL) *worst = -1;
  if (b >= m->nb || i >= m->n) return 0;
  double loss = 0;
  const double *pnl = m->spnl + (size_t)b * m->ns, *sh = m->shock_i + (size_t)i * m->ns;
  if (worst == NULL) { /* the pre-trade check's question: a max without branches */
    for (uint32_t s = 0; s < m->nscen; s++) {
      double l = -(pnl[s] + delta * sh[s]);
      loss = l > loss ? l : loss;
    }
    return loss;
  }
  for (uint32_t s = 0; s < m->nscen; s++) {
    double l = -(pnl[s] + delta * sh[s]);
    if (l > loss) {
      loss = l;
      if (worst != NULL) *worst = (int)s;
    }
  }
  return loss;
}

/* ---- correlation groups --------------------------------------------------- */

static uint32_t uf_find(uint32_t *p, uint32_t i) {
  while (p[i] != i) i = p[i] = p[p[i]];
  return i;
}

uint32_t oms_riskmodel_corr_groups(const oms_riskmodel_t *m, double threshold, uint32_t *group_of) {
  uint32_t n = m->n;
  for (uint32_t i = 0; i < n; i++) group_of[i] = i;
  for (uint32_t i = 0; i < n; i++) {
    double vi = m->cov[(size_t)i * n + i];
    if (!(vi > 0)) continue;
    for (uint32_t j = i + 1; j < n; j++) {
      double vj = m->cov[(size_t)j * n + j];
      if (!(vj > 0) || m->cov[(size_t)i * n + j] / sqrt(vi * vj) <= threshold) continue;
      uint32_t a = uf_find(group_of, i), b = uf_find(group_of, j);
      if (a < b)
        group_of[b] = a;
      else if (b < a)
        group_of[a] = b;
    }
  }
  uint32_t groups = 0;
  for (uint32_t i = 0; i < n; i++) group_of[i] = uf_find(group_of, i);
  for (uint32_t i = 0; i < n; i++) {
    if (group_of[i] != i) continue;
    for (uint32_t j = i + 1; j < n; j++)
      if (group_of[j] == i) {
        groups++;
        break;
      }
  }
  return groups;
}

/* ---- money ---------------------------------------------------------------- */

double oms_riskmodel_dec_in(oms_dec_t d) { return (double)d.raw / (double)OMS_DEC_SCALE; }

int oms_riskmodel_dec_out(double v, oms_dec_t *out) {
  *out = OMS_DEC_ZERO;
  double raw = ceil(v * (double)OMS_DEC_SCALE);
  if (!isfinite(raw) || raw > (double)OMS_DEC_MAX_RAW || raw < (double)OMS_DEC_MIN_RAW)
    return OMS_EOVERFLOW;
  *out = oms_dec_from_raw((int64_t)raw);
  return 0;
}

/* ---- persistence ---------------------------------------------------------- */

#define MAGIC UINT64_C(0x314c444d4b53524f) /* "ORSKMDL1" */

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
  const unsigned char *c = p;
  for (size_t i = 0; i < n; i++) h = (h ^ c[i]) * UINT64_C(0x100000001b3);
  return h;
}

/* The saved parts, in order: header, then these arrays. */
#define PARTS(X, M)                                       \
  X((M)->cov, (size_t)(M)->n *(M)->n * sizeof(double))    \
  X((M)->px, (size_t)(M)->n * sizeof(double))             \
  X((M)->px0, (size_t)(M)->n * sizeof(double))            \
  X((M)->hist, (size_t)(M)->w *(M)->n * sizeof(double))   \
  X((M)->x, (size_t)(M)->nb *(M)->n * sizeof(double))     \
  X((M)->shock, (size_t)(M)->ns *(M)->n * sizeof(double)) \
  X((M)->sname, (size_t)(M)->ns * sizeof(*(M)->sname))

typedef struct hdr_s {
  uint64_t magic;
  uint32_t n, nb, ns, w;
  uint32_t hist_head, hist_count, nscen, pad;
  uint64_t samples;
} hdr_t;

static int write_all(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n > 0) {
    ssize_t k = write(fd, c, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return -1;
    c += k;
    n -= (size_t)k;
  }
  return 0;
}

int oms_riskmodel_save(const oms_riskmodel_t *m, const char *path) {
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) return OMS_EIO;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return OMS_EIO;
  hdr_t h = {MAGIC, m->n, m->nb, m->ns, m->w, m->hist_head, m->hist_count, m->nscen, 0, m->samples};
  uint64_t sum = fnv(UINT64_C(0xcbf29ce484222325), &h, sizeof h);
  int bad = write_all(fd, &h, sizeof h);
#define WR(ptr, len)                   \
  if (bad == 0 && (len) > 0) {         \
    sum = fnv(sum, (ptr), (len));      \
    bad = write_all(fd, (ptr), (len)); \
  }
  PARTS(WR, m)
#undef WR
  if (bad == 0) bad = write_all(fd, &sum, sizeof sum);
  if (bad == 0) bad = fsync(fd);
  if (close(fd) != 0) bad = -1;
  if (bad == 0) bad = rename(tmp, path);
  if (bad != 0) {
    unlink(tmp);
    return OMS_EIO;
  }
  /* The rename is durable once the directory is. */
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash == NULL)
    strcpy(dir, ".");
  else if (slash == dir)
    dir[1] = '\0';
  else
    *slash = '\0';
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return OMS_EIO;
  int rc = fsync(dfd);
  close(dfd);
  return rc == 0 ? 0 : OMS_EIO;
}

int oms_riskmodel_load(oms_riskmodel_t *m, const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return OMS_EIO;
  hdr_t h;
  int rc = 0;
  if (fread(&h, sizeof h, 1, f) != 1 || h.magic != MAGIC) {
    fclose(f);
    return OMS_ECORRUPT;
  }
  if (h.n != m->n || h.nb != m->nb || h.ns != m->ns || h.w != m->w || h.hist_head >= m->w ||
      h.hist_count > m->w || h.nscen > m->ns) {
    fclose(f);
    return OMS_EINVAL;
  }
  /* Into a copy first, so a bad file leaves m as it was. */
  oms_riskmodel_t *c = NULL;
  if (oms_riskmodel_create(&m->cfg, &c) != 0) {
    fclose(f);
    return OMS_ENOMEM;
  }
  uint64_t sum = fnv(UINT64_C(0xcbf29ce484222325), &h, sizeof h), want;
#define RD(ptr, len)                    \
  if (rc == 0 && (len) > 0) {           \
    if (fread((ptr), (len), 1, f) != 1) \
      rc = OMS_ECORRUPT;                \
    else                                \
      sum = fnv(sum, (ptr), (len));     \
  }
  PARTS(RD, c)
#undef RD
  if (rc == 0 && (fread(&want, sizeof want, 1, f) != 1 || want != sum)) rc = OMS_ECORRUPT;
  fclose(f);
  if (rc != 0) {
    oms_riskmodel_destroy(c);
    return rc;
  }
  memcpy(m->cov, c->cov, (size_t)m->n * m->n * sizeof(double));
  memcpy(m->px, c->px, (size_t)m->n * sizeof(double));
  memcpy(m->px0, c->px0, (size_t)m->n * sizeof(double));
  memcpy(m->hist, c->hist, (size_t)m->w * m->n * sizeof(double));
  memcpy(m->x, c->x, (size_t)m->nb * m->n * sizeof(double));
  if (m->ns > 0) {
    memcpy(m->shock, c->shock, (size_t)m->ns * m->n * sizeof(double));
    for (uint32_t sc = 0; sc < m->ns; sc++)
      for (uint32_t i = 0; i < m->n; i++)
        m->shock_i[(size_t)i * m->ns + sc] = m->shock[(size_t)sc * m->n + i];
    memcpy(m->sname, c->sname, (size_t)m->ns * sizeof(*m->sname));
  }
  oms_riskmodel_destroy(c);
  m->hist_head = h.hist_head;
  m->hist_count = h.hist_count;
  m->nscen = h.nscen;
  m->samples = h.samples;
  books_refresh(m);
  for (uint32_t s = 0; s < m->nscen; s++) {
    for (uint32_t b = 0; b < m->nb; b++) {
      double pnl = 0;
      for (uint32_t i = 0; i < m->n; i++)
        pnl += m->x[(size_t)b * m->n + i] * m->shock[(size_t)s * m->n + i];
      m->spnl[(size_t)b * m->ns + s] = pnl;
    }
  }
  return 0;
}

// e2e_fix_venue.cpp - interoperability of our FIX initiator (the venue
// connector, src/venue/fix_venue.c, on our own session layer) with an
// independent FIX engine: a QuickFIX 1.15 acceptor in this process plays
// the venue on 127.0.0.1.
//
// The venue checks our Logon's credentials and validates everything we send
// against jspurefix's FIX44.xml (as e2e_quickfix does; without npm the
// dictionary is off and the test says so). It acknowledges every order,
// fills an order of 1 in full and anything larger by 1 (then it rests),
// cancels, replaces, answers status and mass status queries, and ignores a
// possible duplicate of an order it already has. The test drives the
// connector through the venue interface and checks every report:
//
//   1. logon with Username/Password; market data subscribed, a snapshot back
//   2. orders, partial and full fills, replace, cancel, status, mass status
//   3. a gap from the venue: our ResendRequest, its gap fill and resend
//   4. a gap on our side: the venue's ResendRequest, served from our store
//      (orders resent with PossDupFlag, admin messages gap-filled)
//   5. a sequence reset: a new connector with ResetOnLogon logs on at 1
//
// usage: e2e_fix_venue WORKDIR
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <quickfix/Application.h>
#include <quickfix/FileLog.h>
#include <quickfix/FileStore.h>
#include <quickfix/Message.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/ThreadedSocketAcceptor.h>

#include "qf_client.h"

#include "oms/decimal.h"
#include "oms/error.h"
#include "oms/fix_venue.h"

static int failures = 0;
#define CHECK(cond, ...)                                                   \
  do {                                                                     \
    if (!(cond)) {                                                         \
      std::fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                                   \
      std::fprintf(stderr, "\n");                                          \
      failures++;                                                          \
    }                                                                      \
  } while (0)

static std::string g_work;

// ---- The venue -----------------------------------------------------------------------------

struct VenueOrder {
  std::string order_id, cl_ord_id, symbol, side, price;
  int qty = 0, cum = 0;
  bool open = true;
};

class Venue : public FIX::Application {
 public:
  std::mutex mu;
  int logons = 0, reset_logons = 0, bad_credentials = 0, rejects_received = 0;
  int poss_dup_orders = 0, resend_requests = 0, md_requests = 0;
  std::map<std::string, VenueOrder> orders;  // by OrderID
  std::map<std::string, std::string> by_cl;  // every ClOrdID -> OrderID
  int next_id = 1, next_exec = 1;

  void onCreate(const FIX::SessionID &) override {}
  void onLogon(const FIX::SessionID &) override {
    std::lock_guard<std::mutex> l(mu);
    logons++;
  }
  void onLogout(const FIX::SessionID &) override {}
  void toAdmin(FIX::Message &, const FIX::SessionID &) override {}
  void toApp(FIX::Message &, const FIX::SessionID &) throw(FIX::DoNotSend) override {}
  void fromAdmin(const FIX::Message &m,
                 const FIX::SessionID &) throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
                                               FIX::IncorrectTagValue, FIX::RejectLogon) override {
    std::lock_guard<std::mutex> l(mu);
    std::string t = field(m, 35);
    if (t == "3") rejects_received++;
    if (t == "2") resend_requests++;
    if (t == "A") {
      if (field(m, 553) != "oms" || field(m, 554) != "venue-secret") {
        bad_credentials++;
        throw FIX::RejectLogon("bad credentials");
      }
      if (field(m, 141) == "Y") reset_logons++;
    }
  }
  void fromApp(const FIX::Message &m,
               const FIX::SessionID &sid) throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
                                                FIX::IncorrectTagValue,
                                                FIX::UnsupportedMessageType) override {
    std::lock_guard<std::mutex> l(mu);
    std::string t = field(m, 35);
    bool dup = field(m, 43) == "Y" && by_cl.count(field(m, 11));
    if (dup) {
      poss_dup_orders++;
      return;
    }
    if (t == "D") {
      VenueOrder o;
      o.order_id = "V" + std::to_string(next_id++);
      o.cl_ord_id = field(m, 11);
      o.symbol = field(m, 55);
      o.side = field(m, 54);
      o.price = field(m, 44);
      o.qty = std::atoi(field(m, 38).c_str());
      orders[o.order_id] = o;
      by_cl[o.cl_ord_id] = o.order_id;
      send_er(sid, orders[o.order_id], '0', "", 0);
      VenueOrder &r = orders[o.order_id];
      r.cum = r.qty <= 1 ? r.qty : 1;
      if (r.cum == r.qty) r.open = false;
      send_er(sid, r, 'F', "", r.cum);
    } else if (t == "F" || t == "G") {
      std::string orig = field(m, 41);
      auto it = by_cl.find(orig);
      if (it == by_cl.end() || !orders[it->second].open) {
        FIX::Message rj;
        rj.getHeader().setField(35, "9");
        rj.setField(37, it == by_cl.end() ? "NONE" : it->second);
        rj.setField(11, field(m, 11));
        rj.setField(41, orig);
        rj.setField(39, "4");
        rj.setField(434, t == "F" ? "1" : "2");
        rj.setField(102, it == by_cl.end() ? "1" : "0");
        FIX::Session::sendToTarget(rj, sid);
        return;
      }
      VenueOrder &o = orders[it->second];
      o.cl_ord_id = field(m, 11);
      by_cl[o.cl_ord_id] = o.order_id;
      if (t == "F") {
        o.open = false;
        send_er(sid, o, '4', orig, 0);
      } else {
        o.qty = std::atoi(field(m, 38).c_str());
        o.price = field(m, 44);
        send_er(sid, o, '5', orig, 0);
      }
    } else if (t == "V") {
      // One snapshot of a fixed book: bid 99 x 2, offer 101 x 3, last 100.
      FIX::Message w;
      w.getHeader().setField(35, "W");
      w.setField(262, field(m, 262));
      w.setField(55, "BTC-USD");
      const char *rows[3][3] = {{"0", "99", "2"}, {"1", "101", "3"}, {"2", "100", "1"}};
      for (auto &row : rows) {
        FIX::Group g(268, 269);
        g.setField(269, row[0]);
        g.setField(270, row[1]);
        g.setField(271, row[2]);
        w.addGroup(g);
      }
      md_requests++;
      FIX::Session::sendToTarget(w, sid);
    } else if (t == "H") {
      auto it = by_cl.find(field(m, 11));
      if (it == by_cl.end()) return;
      send_er(sid, orders[it->second], 'I', "", 0);
    } else if (t == "AF") {
      std::vector<VenueOrder *> open;
      for (auto &kv : orders)
        if (kv.second.open) open.push_back(&kv.second);
      for (size_t i = 0; i < open.size(); i++) {
        FIX::Message er = er_of(*open[i], 'I', "", 0);
        er.setField(584, field(m, 584));
        er.setField(911, std::to_string(open.size()));
        if (i + 1 == open.size()) er.setField(912, "Y");
        FIX::Session::sendToTarget(er, sid);
      }
    }
  }

  FIX::Message er_of(const VenueOrder &o, char exec_type, const std::string &orig, int last) {
    FIX::Message er;
    er.getHeader().setField(35, "8");
    er.setField(37, o.order_id);
    er.setField(11, o.cl_ord_id);
    if (!orig.empty()) er.setField(41, orig);
    er.setField(17, "X" + std::to_string(next_exec++));
    er.setField(150, std::string(1, exec_type));
    char status = !o.open ? (o.cum == o.qty ? '2' : '4') : (o.cum > 0 ? '1' : '0');
    er.setField(39, std::string(1, status));
    er.setField(55, o.symbol);
    er.setField(54, o.side);
    er.setField(38, std::to_string(o.qty));
    if (!o.price.empty()) er.setField(44, o.price);
    er.setField(40, "2");
    if (last > 0) {
      er.setField(32, std::to_string(last));
      er.setField(31, o.price);
    }
    er.setField(151, std::to_string(o.open ? o.qty - o.cum : 0));
    er.setField(14, std::to_string(o.cum));
    er.setField(6, o.cum > 0 ? o.price : "0");
    return er;
  }
  void send_er(const FIX::SessionID &sid, const VenueOrder &o, char exec_type,
               const std::string &orig, int last) {
    FIX::Message er = er_of(o, exec_type, orig, last);
    FIX::Session::sendToTarget(er, sid);
  }
};

// ---- Our side ------------------------------------------------------------------------------

struct Reports {
  std::vector<oms_exec_report_t> all;
  std::vector<oms_market_data_t> md;
  int ups = 0, downs = 0;
};

static void on_report(void *ctx, const oms_exec_report_t *r) {
  static_cast<Reports *>(ctx)->all.push_back(*r);
}
static void on_md(void *ctx, const oms_market_data_t *md) {
  static_cast<Reports *>(ctx)->md.push_back(*md);
}
static void on_conn(void *ctx, bool up) {
  Reports *r = static_cast<Reports *>(ctx);
  if (up)
    r->ups++;
  else
    r->downs++;
}
static void log_line(void *, oms_fix_log_level_t lvl, const char *text) {
  if (lvl >= OMS_FIX_LOG_WARN || std::getenv("E2E_LOG"))
    std::fprintf(stderr, "connector: %s\n", text);
}

static bool pump_until(oms_venue_t *v, std::function<bool()> pred, int ms = 5000) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < end) {
    oms_venue_poll(v, 0);
    if (pred()) return true;
    usleep(500);
  }
  return pred();
}

static oms_dec_t D(const char *s) {
  oms_dec_t d;
  oms_dec_parse_cstr(s, &d);
  return d;
}

static oms_venue_t *make_connector(int port, bool reset, Reports *rep) {
  oms_fix_venue_config_t c{};
  c.name = "QFV";
  c.host = "127.0.0.1";
  c.port = port;
  c.sender_comp_id = "OMS";
  c.target_comp_id = "VENUE";
  c.username = "oms";
  c.password = "venue-secret";
  c.heartbeat_s = 30;
  c.reset_on_logon = reset;
  c.mass_status = true;
  static const char *const md_syms[] = {"BTC-USD"};
  c.market_data = true;
  c.md_symbols = md_syms;
  c.n_md_symbols = 1;
  c.reconnect_min_ns = 100000000;
  c.reconnect_max_ns = 500000000;
  c.log = log_line;
  oms_venue_t *v = nullptr;
  int rc = oms_fix_venue_create(&c, &v);
  CHECK(rc == 0, "create: %s", oms_err_name(rc));
  oms_venue_handler_t h{};
  h.on_report = on_report;
  h.on_connection = on_conn;
  h.on_market_data = on_md;
  h.ctx = rep;
  oms_venue_set_handler(v, &h);
  return v;
}

static oms_venue_order_t order(uint64_t id, const char *qty) {
  oms_venue_order_t o{};
  o.order_id = id;
  std::snprintf(o.account_id, sizeof o.account_id, "ACC1");
  std::snprintf(o.symbol, sizeof o.symbol, "BTC-USD");
  o.side = OMS_SIDE_BUY;
  o.type = OMS_ORD_LIMIT;
  o.tif = OMS_TIF_GTC;
  o.qty = D(qty);
  o.price = D("100");
  return o;
}

// The first report of order id and type after index from; -1 if none.
static int find(const Reports &r, uint64_t id, oms_exec_type_t type, size_t from = 0) {
  for (size_t i = from; i < r.all.size(); i++)
    if (r.all[i].order_id == id && r.all[i].type == type) return (int)i;
  return -1;
}

static int count(const Reports &r, uint64_t id, oms_exec_type_t type) {
  int n = 0;
  for (auto &x : r.all) n += x.order_id == id && x.type == type;
  return n;
}

// jspurefix's FIX44.xml, shared with e2e_quickfix (fetched once with npm).
static std::string dictionary() {
  std::string dir = g_work + "/../jspurefix";
  std::string xml = dir + "/package/data/FIX44.xml";
  struct stat st;
  if (stat(xml.c_str(), &st) == 0) return xml;
  std::string cmd = "mkdir -p '" + dir + "' && cd '" + dir +
                    "' && timeout 60 npm pack jspurefix --silent >/dev/null 2>&1 && "
                    "tar xzf jspurefix-*.tgz package/data/FIX44.xml";
  if (std::system(cmd.c_str()) == 0 && stat(xml.c_str(), &st) == 0) return xml;
  return "";
}

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: e2e_fix_venue WORKDIR\n");
    return 2;
  }
  g_work = argv[1];
  std::system(("rm -rf '" + g_work + "' && mkdir -p '" + g_work + "'").c_str());
  int port = free_port();
  std::string dict = dictionary();
  if (dict.empty())
    std::fprintf(stderr,
                 "\n*** WARNING: no FIX44.xml (npm): QuickFIX does NOT validate our messages.\n\n");
  std::ostringstream s;
  s << "[DEFAULT]\nConnectionType=acceptor\nSocketAcceptPort=" << port
    << "\nSocketReuseAddress=Y\nFileStorePath=" << g_work << "/qf-store\nFileLogPath=" << g_work
    << "/qf-log\nStartTime=00:00:00\nEndTime=00:00:00\nValidateUserDefinedFields=N\n"
    << "AllowUnknownMsgFields=Y\n";
  if (dict.empty())
    s << "UseDataDictionary=N\n";
  else
    s << "UseDataDictionary=Y\nDataDictionary=" << dict << "\n";
  s << "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=VENUE\nTargetCompID=OMS\n";
  std::istringstream in(s.str());
  FIX::SessionSettings ss(in);
  FIX::FileStoreFactory sf(ss);
  FIX::FileLogFactory lf(ss);
  Venue venue;
  FIX::ThreadedSocketAcceptor acc(venue, sf, ss, lf);
  acc.start();
  FIX::SessionID sid("FIX.4.4", "VENUE", "OMS");
  auto t0 = std::chrono::steady_clock::now();

  Reports rep;
  oms_venue_t *v = make_connector(port, false, &rep);
  // 1. Logon with the configured credentials.
  // QuickFIX sends its Logon before it calls onLogon: wait for both.
  CHECK(pump_until(v,
                   [&] {
                     std::lock_guard<std::mutex> l(venue.mu);
                     return oms_venue_is_connected(v) && venue.logons >= 1;
                   }),
        "logon");
  CHECK(venue.logons == 1 && venue.bad_credentials == 0, "logons %d bad %d", venue.logons,
        venue.bad_credentials);

  // Market data: subscribed at Logon, the snapshot reaches the engine's handler.
  CHECK(pump_until(v, [&] { return !rep.md.empty(); }), "market data snapshot");
  if (!rep.md.empty()) {
    const oms_market_data_t &md = rep.md[0];
    CHECK(std::strcmp(md.symbol, "BTC-USD") == 0 && oms_dec_eq(md.bid, D("99")) &&
              oms_dec_eq(md.ask, D("101")) && oms_dec_eq(md.ask_qty, D("3")) &&
              oms_dec_eq(md.last_px, D("100")),
          "snapshot %s", md.symbol);
  }

  // 2. Orders: a full fill; a partial fill, replace, cancel; status; mass status.
  oms_venue_order_t o1 = order(1, "1");
  CHECK(oms_venue_send_new(v, &o1) == 0, "send 1");
  CHECK(pump_until(v, [&] { return find(rep, 1, OMS_EXEC_FILL) >= 0; }), "order 1 filled");
  int a = find(rep, 1, OMS_EXEC_ACCEPTED), f = find(rep, 1, OMS_EXEC_FILL);
  CHECK(a >= 0 && a < f, "order 1 accepted before its fill");
  if (f >= 0) {
    CHECK(oms_dec_eq(rep.all[f].last_qty, D("1")) && oms_dec_eq(rep.all[f].leaves_qty, D("0")),
          "order 1 fill quantities");
    CHECK(oms_dec_eq(rep.all[f].last_px, D("100")), "order 1 fill price");
  }
  oms_venue_order_t o2 = order(2, "3");
  CHECK(oms_venue_send_new(v, &o2) == 0, "send 2");
  CHECK(pump_until(v, [&] { return find(rep, 2, OMS_EXEC_FILL) >= 0; }), "order 2 partial fill");
  f = find(rep, 2, OMS_EXEC_FILL);
  if (f >= 0)
    CHECK(oms_dec_eq(rep.all[f].cum_qty, D("1")) && oms_dec_eq(rep.all[f].leaves_qty, D("2")),
          "order 2 partial quantities");
  CHECK(oms_venue_send_replace(v, 2, D("5"), D("101"), OMS_DEC_ZERO) == 0, "replace 2");
  CHECK(pump_until(v, [&] { return find(rep, 2, OMS_EXEC_REPLACED) >= 0; }), "order 2 replaced");
  int r = find(rep, 2, OMS_EXEC_REPLACED);
  if (r >= 0)
    CHECK(oms_dec_eq(rep.all[r].new_qty, D("5")) && oms_dec_eq(rep.all[r].new_price, D("101")),
          "replace values");
  CHECK(oms_venue_query_status(v, 2) == 0, "status 2");
  CHECK(pump_until(v, [&] { return find(rep, 2, OMS_EXEC_STATUS) >= 0; }), "order 2 status");
  r = find(rep, 2, OMS_EXEC_STATUS);
  if (r >= 0)
    CHECK(rep.all[r].status == OMS_VSTATUS_WORKING && oms_dec_eq(rep.all[r].cum_qty, D("1")),
          "status of 2");
  CHECK(oms_venue_send_cancel(v, 2) == 0, "cancel 2");
  CHECK(pump_until(v, [&] { return find(rep, 2, OMS_EXEC_CANCELLED) >= 0; }), "order 2 cancelled");
  oms_venue_order_t o3 = order(3, "4");
  CHECK(oms_venue_send_new(v, &o3) == 0, "send 3");
  CHECK(pump_until(v, [&] { return find(rep, 3, OMS_EXEC_FILL) >= 0; }), "order 3 partial fill");
  size_t before = rep.all.size();
  CHECK(v->vt->query_all(v) == 0, "mass status");
  CHECK(pump_until(v,
                   [&] {
                     for (size_t i = before; i < rep.all.size(); i++)
                       if (rep.all[i].type == OMS_EXEC_STATUS && rep.all[i].last_of_batch)
                         return true;
                     return false;
                   }),
        "mass status answered");
  CHECK(find(rep, 3, OMS_EXEC_STATUS, before) >= 0, "order 3 in the mass status");

  // 3. A gap from the venue: it skips three numbers; we ask, it fills the gap
  //    and resends the report, which we process once.
  {
    FIX::Session *qs = FIX::Session::lookupSession(sid);
    qs->setNextSenderMsgSeqNum(qs->getExpectedSenderNum() + 3);
  }
  CHECK(oms_venue_query_status(v, 3) == 0, "status 3 across the gap");
  CHECK(pump_until(v, [&] { return count(rep, 3, OMS_EXEC_STATUS) >= 2; }),
        "the report sent across the gap arrives after the resend");
  pump_until(
      v, [] { return false; }, 300);
  CHECK(count(rep, 3, OMS_EXEC_STATUS) == 2, "status reports of 3: %d",
        count(rep, 3, OMS_EXEC_STATUS));
  CHECK(oms_venue_is_connected(v), "session up after the venue's gap");

  // 4. A gap on our side: the venue forgets our last three messages and asks
  //    for them; orders come again with PossDupFlag and it drops them.
  {
    FIX::Session *qs = FIX::Session::lookupSession(sid);
    qs->setNextTargetMsgSeqNum(qs->getExpectedTargetNum() - 3);
  }
  oms_venue_order_t o4 = order(4, "1");
  CHECK(oms_venue_send_new(v, &o4) == 0, "send 4");
  CHECK(pump_until(v, [&] { return find(rep, 4, OMS_EXEC_FILL) >= 0; }),
        "order 4 after our resend");
  CHECK(venue.resend_requests >= 1, "the venue asked us to resend");
  CHECK(count(rep, 4, OMS_EXEC_ACCEPTED) == 1, "order 4 acknowledged once");
  CHECK(venue.rejects_received == 0, "Rejects from us: %d", venue.rejects_received);
  CHECK(oms_venue_is_connected(v), "session up after our resend");

  // 5. Sequence reset: a new connector that logs on with ResetSeqNumFlag.
  CHECK(oms_fix_venue_stop(v) == 0, "logout");
  CHECK(pump_until(v, [&] { return !oms_venue_is_connected(v) && rep.downs == 1; }), "logged out");
  oms_venue_destroy(v);
  Reports rep2;
  v = make_connector(port, true, &rep2);
  CHECK(pump_until(v, [&] { return oms_venue_is_connected(v); }), "logon with sequence reset");
  CHECK(venue.reset_logons == 1, "reset logons %d", venue.reset_logons);
  const oms_fix_session_t *fs = oms_fix_venue_session(v);
  // Logon 1 and the market data subscription 2: numbering started again.
  CHECK(oms_fix_session_next_sender_seq(fs) == 3, "our next number %lld",
        (long long)oms_fix_session_next_sender_seq(fs));
  oms_venue_order_t o5 = order(5, "1");
  CHECK(oms_venue_send_new(v, &o5) == 0, "send 5");
  CHECK(pump_until(v, [&] { return find(rep2, 5, OMS_EXEC_FILL) >= 0; }), "order 5 after reset");
  // Order 3 still rests at the venue: reachable after the reset through the
  // mass status answer, then cancelled.
  before = rep2.all.size();
  CHECK(v->vt->query_all(v) == 0, "mass status after reset");
  CHECK(pump_until(v, [&] { return find(rep2, 3, OMS_EXEC_STATUS, before) >= 0; }),
        "order 3 known");
  CHECK(oms_venue_send_cancel(v, 3) == 0, "cancel 3 after reset");
  CHECK(pump_until(v, [&] { return find(rep2, 3, OMS_EXEC_CANCELLED) >= 0; }), "order 3 cancelled");
  CHECK(venue.rejects_received == 0, "Rejects from us: %d", venue.rejects_received);
  oms_fix_venue_stats_t st;
  oms_fix_venue_stats(v, &st);
  CHECK(st.bad_reports == 0, "bad reports %llu", (unsigned long long)st.bad_reports);

  CHECK(oms_fix_venue_stop(v) == 0, "final logout");
  pump_until(v, [&] { return !oms_venue_is_connected(v); });
  oms_venue_destroy(v);
  acc.stop();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "e2e fix venue: %s in %.1f s (%d failures)%s\n",
               failures ? "FAILED" : "passed", secs, failures,
               dict.empty() ? " -- WITHOUT the data dictionary" : "");
  if (failures) std::system(("tail -n 40 '" + g_work + "'/qf-log/*event* >&2").c_str());
  return failures ? 1 : 0;
}

// e2e_omsvenue.cpp - omsvenue, the simulated exchange as its own process,
// driven by an independent FIX client (QuickFIX, validating every message
// omsvenue sends against jspurefix's FIX44.xml when it could be fetched):
//   logon with a password; a buy larger than the visible book filled partly,
//   then fully once the liquidity provider refills; a partial fill cancelled;
//   a replace; a new order, a cancel and a replace refused; OrderStatusRequest
//   (H) and OrderMassStatusRequest (AF) answers; kill -9 and SIGTERM restarts
//   with resting GTC orders still there and cancellable and the sequence
//   numbers carried over; cancel on disconnect told at the next logon;
//   market data (V answered with W snapshots, Y for an unknown symbol,
//   unsubscribe, subscriptions ending with the connection).
//
// usage: e2e_omsvenue OMSVENUE CONFIG WORKDIR
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <functional>
#include <memory>
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
#include <quickfix/SocketInitiator.h>

#include "qf_client.h"

// The client: QuickFIX's session Rejects (a message it found invalid) are
// counted, so the test fails on any.
struct Client : QfClient {
  explicit Client(const std::string &password) : QfClient(password) {}
  int rejects = 0;
  void toAdmin(FIX::Message &m, const FIX::SessionID &sid) override {
    QfClient::toAdmin(m, sid);
    if (field(m, 35) == "3") {
      std::lock_guard<std::mutex> l(mu);
      rejects++;
      std::fprintf(stderr, "e2e_omsvenue: QuickFIX rejected a message: %s\n", m.toString().c_str());
    }
  }
};

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

static std::string g_bin, g_conf, g_work, g_data, g_dict, g_session_end;
static int g_port = 0;
static pid_t g_pid = -1;

// One QuickFIX initiator for sender -> VENUE.
struct Peer {
  FIX::SessionID sid;
  Client app;
  std::unique_ptr<FIX::SessionSettings> ss;
  std::unique_ptr<FIX::FileStoreFactory> sf;
  std::unique_ptr<FIX::FileLogFactory> lf;
  std::unique_ptr<FIX::SocketInitiator> ini;
  Peer(const std::string &sender, const std::string &password)
      : sid("FIX.4.4", sender, "VENUE"), app(password) {
    std::ostringstream s;
    s << "[DEFAULT]\nConnectionType=initiator\nHeartBtInt=30\nReconnectInterval=1\n"
      << "FileStorePath=" << g_work << "/qf-store\nFileLogPath=" << g_work << "/qf-log\n"
      << "StartTime=00:00:00\nEndTime=00:00:00\nSocketConnectHost=127.0.0.1\n"
      << "SocketConnectPort=" << g_port << "\n";
    if (g_dict.empty())
      s << "UseDataDictionary=N\n";
    else
      s << "UseDataDictionary=Y\nDataDictionary=" << g_dict << "\n";
    s << "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=" << sender << "\nTargetCompID=VENUE\n";
    std::istringstream in(s.str());
    ss.reset(new FIX::SessionSettings(in));
    sf.reset(new FIX::FileStoreFactory(*ss));
    lf.reset(new FIX::FileLogFactory(*ss));
  }
  void start() {
    ini.reset(new FIX::SocketInitiator(app, *sf, *ss, *lf));
    ini->start();
  }
  void stop() {
    ini->stop();
    ini.reset();
    app.wait_logon(false, 1000);
  }
  void send(FIX::Message m) { FIX::Session::sendToTarget(m, sid); }
  int next_in() { return FIX::Session::lookupSession(sid)->getExpectedTargetNum(); }
};

static bool start_venue() {
  std::string log = g_work + "/omsvenue.log";
  g_pid = fork();
  if (g_pid == 0) {
    FILE *f = std::freopen(log.c_str(), "a", stderr);
    (void)f;
    std::string port = std::to_string(g_port);
    if (g_session_end.empty())
      execl(g_bin.c_str(), g_bin.c_str(), "--config", g_conf.c_str(), "--port", port.c_str(),
            "--data-dir", g_data.c_str(), (char *)nullptr);
    else
      execl(g_bin.c_str(), g_bin.c_str(), "--config", g_conf.c_str(), "--port", port.c_str(),
            "--data-dir", g_data.c_str(), "--session-end", g_session_end.c_str(), (char *)nullptr);
    _exit(127);
  }
  for (int i = 0; i < 500; i++) {
    if (listening(g_port)) return true;
    usleep(10000);
  }
  return false;
}

// SIGTERM or SIGKILL to the exchange started here; the exit status (128 + signal).
static int stop_venue(int sig) {
  if (g_pid <= 0) return -1;
  kill(g_pid, sig);
  int st = 0;
  for (int i = 0; i < 1000; i++) {
    if (waitpid(g_pid, &st, WNOHANG) == g_pid) {
      g_pid = -1;
      return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    usleep(10000);
  }
  kill(g_pid, SIGKILL);
  waitpid(g_pid, &st, 0);
  g_pid = -1;
  return -2;
}

// The dictionary e2e_quickfix fetched (or fetches) into the work area.
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

static std::string now_fix() { return FIX::UtcTimeStampConvertor::convert(FIX::UtcTimeStamp(), 3); }

static FIX::Message order(const std::string &cl, char side, const std::string &qty,
                          const std::string &px, const std::string &symbol = "BTC-USD") {
  FIX::Message m;
  m.getHeader().setField(35, "D");
  m.setField(11, cl);
  m.setField(1, "ACC1");
  m.setField(55, symbol);
  m.setField(54, std::string(1, side));
  m.setField(60, now_fix());
  m.setField(38, qty);
  m.setField(40, "2");
  m.setField(44, px);
  m.setField(59, "1");  // GTC
  return m;
}

static FIX::Message cancel(const std::string &orig, const std::string &cl, char side) {
  FIX::Message f;
  f.getHeader().setField(35, "F");
  f.setField(41, orig);
  f.setField(11, cl);
  f.setField(55, "BTC-USD");
  f.setField(54, std::string(1, side));
  f.setField(60, now_fix());
  return f;
}

static FIX::Message replace(const std::string &orig, const std::string &cl, char side,
                            const std::string &qty, const std::string &px) {
  FIX::Message g = order(cl, side, qty, px);
  g.getHeader().setField(35, "G");
  g.setField(41, orig);
  return g;
}

static FIX::Message status_req(const std::string &cl, char side) {
  FIX::Message h;
  h.getHeader().setField(35, "H");
  h.setField(11, cl);
  h.setField(790, "q-" + cl);
  h.setField(55, "BTC-USD");
  h.setField(54, std::string(1, side));
  return h;
}

static FIX::Message mass_status(const std::string &id) {
  FIX::Message af;
  af.getHeader().setField(35, "AF");
  af.setField(584, id);
  af.setField(585, "7");
  return af;
}

// The OrdStatus of an H answer for cl ("none" without an answer).
static std::string status_of(Peer &p, const std::string &cl, char side) {
  p.send(status_req(cl, side));
  FIX::Message m;
  if (!p.app.wait_for([&](const FIX::Message &x) { return er(x, cl, "I"); }, &m)) return "none";
  CHECK(field(m, 790) == "q-" + cl, "OrdStatusReqID not echoed: %s", field(m, 790).c_str());
  // OrdRejReason(103) after a '/' when sent: 5 names an unknown order.
  return field(m, 103).empty() ? field(m, 39) : field(m, 39) + "/" + field(m, 103);
}

// AF: the ClOrdIDs reported, in order; checks 911 and 912 on each.
static std::string mass(Peer &p, const std::string &id) {
  p.send(mass_status(id));
  std::string seen;
  for (;;) {
    FIX::Message m;
    if (!p.app.wait_for([&](const FIX::Message &x) { return field(x, 584) == id; }, &m)) {
      CHECK(false, "AF %s: an answer missing", id.c_str());
      return seen;
    }
    CHECK(field(m, 150) == "I", "AF answer ExecType %s", field(m, 150).c_str());
    CHECK(!field(m, 911).empty(), "AF answer without TotNumReports");
    if (field(m, 911) != "0") seen += field(m, 11) + " ";
    if (field(m, 912) == "Y") return seen;
  }
}

// MarketDataRequest (V): depth levels a side (1: top of book), bid/offer/trade.
static FIX::Message md_request(const std::string &id, char type, const std::string &symbol,
                               const char *depth = "1") {
  FIX::Message v;
  v.getHeader().setField(35, "V");
  v.setField(262, id);
  v.setField(263, std::string(1, type));
  v.setField(264, depth);
  v.setField(265, "0");
  for (const char *t : {"0", "1", "2"}) {
    FIX::Group g(267, 269);
    g.setField(269, t);
    v.addGroup(g);
  }
  FIX::Group r(146, 55);
  r.setField(55, symbol);
  v.addGroup(r);
  return v;
}

// An MDEntry of a W: "" when absent, else "<px>x<size>" of its first one.
static std::string md_entry(const FIX::Message &w, char type) {
  std::string s = w.toString(), key = std::string("\001269=") + type + "\001";
  size_t at = s.find(key);
  if (at == std::string::npos) return "";
  auto val = [&](const char *tag) {
    size_t p = s.find(std::string("\001") + tag + "=", at + 1);
    if (p == std::string::npos) return std::string("?");
    p += std::strlen(tag) + 2;
    return s.substr(p, s.find('\001', p) - p);
  };
  return val("270") + "x" + val("271");
}

// The prices of every MDEntry of type in a W, in the order sent.
static std::vector<double> md_prices(const FIX::Message &w, char type) {
  std::string s = w.toString(), key = std::string("\001269=") + type + "\001";
  std::vector<double> out;
  for (size_t at = s.find(key); at != std::string::npos; at = s.find(key, at + 1)) {
    size_t p = s.find("\001270=", at + 1);
    if (p != std::string::npos) out.push_back(std::atof(s.c_str() + p + 5));
  }
  return out;
}

static bool is_w(const FIX::Message &m, const std::string &id) {
  return field(m, 35) == "W" && field(m, 262) == id;
}

static double num(const FIX::Message &m, int tag) { return std::atof(field(m, tag).c_str()); }

static void trading(Peer &p) {
  FIX::Message m;
  // 1. A buy of 3 across an ask side of 5 x 0.5: 2.5 now, the rest once the
  //    provider refills (1.5 s).
  p.send(order("big", '1', "3", "66000"));
  CHECK(p.app.wait_for([](const FIX::Message &x) { return er(x, "big", "0"); }, &m), "big New");
  CHECK(field(m, 39) == "0" && field(m, 37) != "NONE", "big ack: 39=%s 37=%s", field(m, 39).c_str(),
        field(m, 37).c_str());
  CHECK(p.app.wait_for(
            [](const FIX::Message &x) { return er(x, "big", "F") && field(x, 39) == "1"; }, &m),
        "big not partially filled");
  auto t_part = std::chrono::steady_clock::now();
  CHECK(p.app.wait_for(
            [](const FIX::Message &x) { return er(x, "big", "F") && field(x, 39) == "2"; }, &m),
        "big not filled after the refill");
  double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_part).count();
  CHECK(waited > 1.0, "filled %.3f s after the partial fill: no refill delay", waited);
  CHECK(num(m, 14) == 3 && num(m, 151) == 0 && num(m, 6) > 64000 && num(m, 6) < 66000,
        "big final CumQty %s LeavesQty %s AvgPx %s", field(m, 14).c_str(), field(m, 151).c_str(),
        field(m, 6).c_str());
  usleep(1700000);  // the provider back

  // 2. Partially filled, then cancelled before the refill.
  p.send(order("part", '1', "3", "66000"));
  CHECK(p.app.wait_for(
            [](const FIX::Message &x) { return er(x, "part", "F") && field(x, 39) == "1"; }, &m),
        "part not partially filled");
  p.send(cancel("part", "part-x", '1'));
  CHECK(p.app.wait_for([](const FIX::Message &x) { return er(x, "part-x", "4"); }, &m),
        "part not cancelled");
  CHECK(field(m, 41) == "part" && field(m, 39) == "4" && num(m, 14) > 0 && num(m, 14) < 3 &&
            num(m, 151) == 0,
        "part cancel: 41=%s 39=%s CumQty %s LeavesQty %s", field(m, 41).c_str(),
        field(m, 39).c_str(), field(m, 14).c_str(), field(m, 151).c_str());
  usleep(1700000);

  // 3. A resting order replaced.
  p.send(order("rest", '1', "0.1", "60000"));
  CHECK(p.app.wait_for([](const FIX::Message &x) { return er(x, "rest", "0"); }, &m), "rest New");
  p.send(replace("rest", "rest2", '1', "0.2", "60500"));
  CHECK(p.app.wait_for([](const FIX::Message &x) { return er(x, "rest2", "5"); }, &m),
        "rest not replaced");
  CHECK(field(m, 41) == "rest" && num(m, 38) == 0.2 && num(m, 44) == 60500 && field(m, 39) == "0",
        "replace: 41=%s 38=%s 44=%s 39=%s", field(m, 41).c_str(), field(m, 38).c_str(),
        field(m, 44).c_str(), field(m, 39).c_str());

  // 4. Refusals: an unknown symbol, a cancel and a replace of no order, a
  //    cancel of a filled order.
  p.send(order("bad", '1', "1", "100", "NOPE"));
  CHECK(p.app.wait_for([](const FIX::Message &x) { return er(x, "bad", "8"); }, &m),
        "unknown symbol not rejected");
  CHECK(field(m, 39) == "8", "reject OrdStatus %s", field(m, 39).c_str());
  p.send(cancel("ghost", "ghost-x", '1'));
  CHECK(p.app.wait_for(
            [](const FIX::Message &x) { return field(x, 35) == "9" && field(x, 11) == "ghost-x"; },
            &m),
        "cancel of no order not refused");
  CHECK(field(m, 434) == "1" && field(m, 102) == "1", "434=%s 102=%s", field(m, 434).c_str(),
        field(m, 102).c_str());
  p.send(replace("ghost", "ghost-r", '1', "1", "100"));
  CHECK(p.app.wait_for(
            [](const FIX::Message &x) { return field(x, 35) == "9" && field(x, 11) == "ghost-r"; },
            &m),
        "replace of no order not refused");
  CHECK(field(m, 434) == "2", "434=%s", field(m, 434).c_str());
  p.send(cancel("big", "big-x", '1'));
  CHECK(
      p.app.wait_for(
          [](const FIX::Message &x) { return field(x, 35) == "9" && field(x, 11) == "big-x"; }, &m),
      "cancel of a filled order not refused");
  CHECK(field(m, 39) == "2", "filled order's OrdStatus in the reject: %s", field(m, 39).c_str());

  // 5. Status: H for a live, a filled, a cancelled and an unknown order; AF.
  CHECK(status_of(p, "rest2", '1') == "0", "rest2 not New");
  CHECK(status_of(p, "big", '1') == "2", "big not Filled");
  CHECK(status_of(p, "part-x", '1') == "4", "part not Canceled");
  std::string unknown = status_of(p, "nobody", '1');
  CHECK(unknown == "8/5", "an unknown order answered %s, not 39=8 with 103=5", unknown.c_str());
  p.send(order("sell", '2', "0.1", "70000"));
  CHECK(p.app.wait_for([](const FIX::Message &x) { return er(x, "sell", "0"); }, &m), "sell New");
  std::string seen = mass(p, "m1");
  CHECK(seen == "rest2 sell " || seen == "sell rest2 ", "AF reported: %s", seen.c_str());
}

// Market data: a snapshot at once, a new one when the book trades, a
// reject for an unknown symbol, nothing after unsubscribing.
static void market_data(Peer &p) {
  FIX::Message m;
  // MarketDepth 0: the full book the provider quotes (5 levels a side),
  // best first.
  p.send(md_request("mdd", '1', "BTC-USD", "0"));
  // (a level the earlier trades took comes back with the provider's refill)
  CHECK(p.app.wait_for(
            [](const FIX::Message &x) {
              return is_w(x, "mdd") && md_prices(x, '0').size() == 5 &&
                     md_prices(x, '1').size() == 5;
            },
            &m),
        "no snapshot of 5 levels a side for a depth subscription");
  std::vector<double> bids = md_prices(m, '0'), asks = md_prices(m, '1');
  CHECK(bids.size() == 5 && asks.size() == 5, "depth: %zu bids, %zu offers", bids.size(),
        asks.size());
  for (size_t i = 1; i < bids.size(); i++)
    CHECK(bids[i] < bids[i - 1] && asks[i] > asks[i - 1], "depth out of order at level %zu", i);
  CHECK(bids[0] < asks[0], "depth: crossed %f / %f", bids[0], asks[0]);
  // A new subscription of the symbol replaces it: top of book from now on.
  p.send(md_request("md1", '1', "BTC-USD"));
  CHECK(p.app.wait_for([](const FIX::Message &x) { return is_w(x, "md1"); }, &m),
        "no snapshot for a subscription");
  CHECK(field(m, 55) == "BTC-USD", "W symbol %s", field(m, 55).c_str());
  std::string bid = md_entry(m, '0'), ask = md_entry(m, '1');
  CHECK(!bid.empty() && !ask.empty() && bid < ask, "W bid %s ask %s", bid.c_str(), ask.c_str());
  CHECK(md_prices(m, '0').size() == 1 && md_prices(m, '1').size() == 1,
        "MarketDepth 1: %zu bids, %zu offers", md_prices(m, '0').size(), md_prices(m, '1').size());
  // A trade at the touch: a W with the trade follows within the interval.
  p.send(order("md-buy", '1', "0.1", "66000"));
  CHECK(p.app.wait_for([](const FIX::Message &x) { return er(x, "md-buy", "F"); }, &m),
        "md-buy not filled");
  std::string px = field(m, 31);
  CHECK(p.app.wait_for(
            [](const FIX::Message &x) { return is_w(x, "md1") && !md_entry(x, '2').empty(); }, &m,
            2000),
        "no snapshot after a trade");
  std::string trade = md_entry(m, '2');
  CHECK(std::atof(trade.c_str()) == std::atof(px.c_str()), "W trade %s, fill at %s", trade.c_str(),
        px.c_str());
  p.send(md_request("md2", '1', "NOPE"));
  CHECK(p.app.wait_for([](const FIX::Message &x) { return field(x, 35) == "Y"; }, &m),
        "unknown symbol not refused with Y");
  CHECK(field(m, 262) == "md2" && field(m, 281) == "0", "Y: 262=%s 281=%s", field(m, 262).c_str(),
        field(m, 281).c_str());
  p.send(md_request("md1", '2', "BTC-USD"));
  usleep(300000);
  p.send(order("md-buy2", '1', "0.1", "66000"));
  CHECK(p.app.wait_for([](const FIX::Message &x) { return er(x, "md-buy2", "F"); }, &m),
        "md-buy2 not filled");
  CHECK(!p.app.wait_for([](const FIX::Message &x) { return field(x, 35) == "W"; }, &m, 600),
        "a snapshot after unsubscribing");
  usleep(1700000);  // the provider back
}

static void restarts(Peer &p, int sig) {
  const char *name = sig == SIGKILL ? "kill -9" : "SIGTERM";
  int seq_before = p.next_in();
  int rc = stop_venue(sig);
  if (sig == SIGTERM) CHECK(rc == 0, "exit status %d after SIGTERM", rc);
  CHECK(p.app.wait_logon(false, 5000), "%s: the client did not see the session end", name);
  CHECK(start_venue(), "%s: omsvenue did not come back", name);
  CHECK(p.app.wait_logon(true, 15000), "%s: no logon after the restart", name);
  // Had it restarted at 1, QuickFIX would have refused the Logon (MsgSeqNum too low).
  CHECK(p.next_in() > seq_before, "%s: sequence %d after, %d before", name, p.next_in(),
        seq_before);
  CHECK(status_of(p, "rest2", '1') == "0", "%s: rest2 not New after the restart", name);
  CHECK(status_of(p, "big", '1') == "2", "%s: big not Filled after the restart", name);
  std::string seen = mass(p, std::string("m-") + (sig == SIGKILL ? "k" : "t"));
  CHECK(seen == "rest2 sell " || seen == "sell rest2 ", "%s: AF reported: %s", name, seen.c_str());
}

int main(int argc, char **argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: e2e_omsvenue OMSVENUE CONFIG WORKDIR\n");
    return 2;
  }
  g_bin = argv[1];
  g_conf = argv[2];
  g_work = argv[3];
  std::system(("rm -rf '" + g_work + "' && mkdir -p '" + g_work + "'").c_str());
  g_data = g_work + "/data";
  g_port = free_port();
  g_dict = dictionary();
  if (g_dict.empty())
    std::fprintf(stderr,
                 "\n*** WARNING: FIX44.xml could not be fetched: QuickFIX does NOT "
                 "validate omsvenue's messages.\n\n");
  if (!start_venue()) {
    std::fprintf(stderr, "FAIL: omsvenue did not start (see %s/omsvenue.log)\n", g_work.c_str());
    return 1;
  }
  auto t0 = std::chrono::steady_clock::now();
  {
    Peer p("OMS", "venue-secret");
    p.start();
    CHECK(p.app.wait_logon(true, 5000), "logon");
    market_data(p);
    trading(p);
    restarts(p, SIGKILL);
    restarts(p, SIGTERM);
    // The resting orders restored are still cancellable.
    FIX::Message m;
    p.send(cancel("rest2", "rest2-x", '1'));
    CHECK(p.app.wait_for([](const FIX::Message &x) { return er(x, "rest2-x", "4"); }, &m),
          "rest2 not cancellable after the restarts");
    p.send(cancel("sell", "sell-x", '2'));
    CHECK(p.app.wait_for([](const FIX::Message &x) { return er(x, "sell-x", "4"); }, &m),
          "sell not cancellable after the restarts");
    // A subscription ends with its connection: nothing after a new logon
    // until the client subscribes again.
    p.send(md_request("md3", '1', "BTC-USD"));
    CHECK(p.app.wait_for([](const FIX::Message &x) { return is_w(x, "md3"); }, &m),
          "no snapshot for md3");
    CHECK(p.app.rejects == 0, "QuickFIX rejected %d of omsvenue's messages", p.app.rejects);
    p.stop();
    p.start();
    CHECK(p.app.wait_logon(true, 5000), "logon again");
    p.send(order("md-buy3", '1', "0.1", "66000"));
    CHECK(p.app.wait_for([](const FIX::Message &x) { return er(x, "md-buy3", "F"); }, &m),
          "md-buy3 not filled");
    CHECK(!p.app.wait_for([](const FIX::Message &x) { return field(x, 35) == "W"; }, &m, 600),
          "a snapshot for a subscription of a previous connection");
    p.stop();

    // Cancel on disconnect: OMS2's resting order is cancelled when it goes,
    // and the unsolicited Canceled reaches it when it logs on again.
    Peer q("OMS2", "venue-secret2");
    q.start();
    CHECK(q.app.wait_logon(true, 5000), "OMS2 logon");
    q.send(order("cod", '1', "0.1", "60000"));
    CHECK(q.app.wait_for([](const FIX::Message &x) { return er(x, "cod", "0"); }, &m), "cod New");
    q.stop();
    usleep(200000);
    q.start();
    CHECK(q.app.wait_logon(true, 5000), "OMS2 logon again");
    CHECK(q.app.wait_for([](const FIX::Message &x) { return er(x, "cod", "4"); }, &m),
          "no unsolicited Canceled for cod");
    CHECK(field(m, 41).empty() && num(m, 151) == 0, "unsolicited cancel: 41=%s 151=%s",
          field(m, 41).c_str(), field(m, 151).c_str());
    CHECK(status_of(q, "cod", '1') == "4", "cod not Canceled");
    CHECK(q.app.rejects == 0, "QuickFIX rejected %d of omsvenue's messages", q.app.rejects);
    q.stop();

    // DAY orders expire at the session end (here 3 s after the restart); GTC
    // ones stay.
    stop_venue(SIGTERM);
    time_t end = time(nullptr) + 3;
    struct tm tm;
    gmtime_r(&end, &tm);
    char hms[16];
    std::snprintf(hms, sizeof hms, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
    g_session_end = hms;
    CHECK(start_venue(), "omsvenue did not start with --session-end");
    p.start();
    CHECK(p.app.wait_logon(true, 5000), "logon for the DAY test");
    FIX::Message day = order("day", '1', "0.1", "60000");
    day.setField(59, "0");
    p.send(day);
    CHECK(p.app.wait_for([](const FIX::Message &x) { return er(x, "day", "0"); }, &m), "day New");
    p.send(order("gtc", '1', "0.1", "60000"));
    CHECK(p.app.wait_for([](const FIX::Message &x) { return er(x, "gtc", "0"); }, &m), "gtc New");
    CHECK(p.app.wait_for([](const FIX::Message &x) { return er(x, "day", "C"); }, &m, 8000),
          "the DAY order did not expire at the session end");
    CHECK(field(m, 39) == "C" && num(m, 151) == 0, "expiry: 39=%s 151=%s", field(m, 39).c_str(),
          field(m, 151).c_str());
    CHECK(status_of(p, "gtc", '1') == "0", "the GTC order did not stay");
    CHECK(p.app.rejects == 0, "QuickFIX rejected %d of omsvenue's messages", p.app.rejects);
    p.stop();
  }
  int rc = stop_venue(SIGTERM);
  CHECK(rc == 0, "omsvenue exit status %d", rc);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "e2e_omsvenue: %s in %.1f s (%d failures)\n", failures ? "FAILED" : "passed",
               secs, failures);
  if (failures) std::system(("tail -40 '" + g_work + "/omsvenue.log' >&2").c_str());
  return failures ? 1 : 0;
}

// e2e_restart.cpp - no zombie orders, at the user's edge: a QuickFIX client
// leaves resting orders at omsd, omsd is restarted (kill -9, SIGTERM, and
// kill -9 with the simulated venue's book file deleted), the client logs on
// again, and then:
//   - every resting order is still live and cancellable (cancel -> Canceled),
//     or, where the venue lost it, was reported Canceled by omsd on its own;
//   - an order on the other side at the same price is not refused as a
//     self-trade against a ghost;
//   - no order is left PendingCancel (a cancel sent just before SIGTERM is
//     answered before omsd exits).
//
// usage: e2e_restart OMSD CONFIG WORKDIR
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <sstream>
#include <string>

#include <quickfix/Application.h>
#include <quickfix/FileLog.h>
#include <quickfix/FileStore.h>
#include <quickfix/Message.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketInitiator.h>

#include "qf_client.h"

// The client of this test: CLIENT's password, everything else shared.
struct Client : QfClient {
  Client() : QfClient("client2-secret") {}
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

static std::string g_omsd, g_conf, g_work, g_data;
static int g_port = 0;
static pid_t g_pid = -1;
static const FIX::SessionID g_sid("FIX.4.4", "CLIENT2", "OMS");

static bool start_omsd() {
  std::string log = g_work + "/omsd.log";
  g_pid = fork();
  if (g_pid == 0) {
    FILE *f = std::freopen(log.c_str(), "a", stderr);
    (void)f;
    std::string port = std::to_string(g_port);
    execl(g_omsd.c_str(), g_omsd.c_str(), "--config", g_conf.c_str(), "--port", port.c_str(),
          "--data-dir", g_data.c_str(), "--durability", "os", (char *)nullptr);
    _exit(127);
  }
  for (int i = 0; i < 500; i++) {
    if (listening(g_port)) return true;
    usleep(10000);
  }
  return false;
}

// SIGTERM (graceful) or SIGKILL; returns the exit status (128 + signal).
static int stop_omsd(int sig) {
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

static std::string now_fix() { return FIX::UtcTimeStampConvertor::convert(FIX::UtcTimeStamp(), 3); }

static FIX::Message limit(const std::string &clordid, char side, const std::string &px) {
  FIX::Message m;
  m.getHeader().setField(35, "D");
  m.setField(11, clordid);
  m.setField(55, "BTC-USD");
  m.setField(54, std::string(1, side));
  m.setField(60, now_fix());
  m.setField(38, "0.1");
  m.setField(40, "2");
  m.setField(44, px);
  m.setField(59, "1");  // GTC
  return m;
}

static void send(FIX::Message m) { FIX::Session::sendToTarget(m, g_sid); }

static void send_cancel(const std::string &orig, const std::string &clordid, char side) {
  FIX::Message f;
  f.getHeader().setField(35, "F");
  f.setField(41, orig);
  f.setField(11, clordid);
  f.setField(55, "BTC-USD");
  f.setField(54, std::string(1, side));
  f.setField(60, now_fix());
  FIX::Session::sendToTarget(f, g_sid);
}

// OrderStatusRequest: the OrdStatus (39) omsd reports for clordid.
static std::string status_of(Client &c, const std::string &clordid, char side) {
  FIX::Message h;
  h.getHeader().setField(35, "H");
  h.setField(11, clordid);
  h.setField(55, "BTC-USD");
  h.setField(54, std::string(1, side));
  FIX::Session::sendToTarget(h, g_sid);
  FIX::Message m;
  if (!c.wait_for([&](const FIX::Message &x) { return er(x, clordid, "I"); }, &m)) return "none";
  return field(m, 39);
}

// Places a resting buy at 60000 and sell at 70000 (the book is ~65000).
static void place_resting(Client &c, const std::string &tag) {
  FIX::Message m;
  send(limit(tag + "-b", '1', "60000"));
  CHECK(c.wait_for([&](const FIX::Message &x) { return er(x, tag + "-b", "0"); }, &m),
        "%s-b not New", tag.c_str());
  send(limit(tag + "-s", '2', "70000"));
  CHECK(c.wait_for([&](const FIX::Message &x) { return er(x, tag + "-s", "0"); }, &m),
        "%s-s not New", tag.c_str());
}

static void restart(Client &c, int sig, bool lose_venue_book) {
  int rc = stop_omsd(sig);
  if (sig == SIGTERM) CHECK(rc == 0, "omsd exit status %d after SIGTERM", rc);
  CHECK(c.wait_logon(false, 5000), "the client did not see the session end");
  if (lose_venue_book) std::remove((g_data + "/venue-SIM.book").c_str());
  CHECK(start_omsd(), "omsd did not come back");
  CHECK(c.wait_logon(true, 15000), "no logon after the restart");
}

// After a restart where the venue kept its book: both orders live and
// cancellable, and the sell at the buy's price is not a self-trade.
static void cancellable(Client &c, const std::string &tag) {
  FIX::Message m;
  CHECK(status_of(c, tag + "-b", '1') == "0", "%s-b not New after the restart", tag.c_str());
  send_cancel(tag + "-b", tag + "-bx", '1');
  CHECK(c.wait_for([&](const FIX::Message &x) { return er(x, tag + "-bx", "4"); }, &m),
        "%s-b was not cancelled", tag.c_str());
  send_cancel(tag + "-s", tag + "-sx", '2');
  CHECK(c.wait_for([&](const FIX::Message &x) { return er(x, tag + "-sx", "4"); }, &m),
        "%s-s was not cancelled", tag.c_str());
}

// A sell crossing where the dead buy rested: it trades with the book (the
// provider's bids are near 65000), never refused as a self-trade with a ghost.
static void no_ghost(Client &c, const std::string &tag) {
  FIX::Message m;
  send(limit(tag + "-x", '2', "60000"));
  CHECK(c.wait_for(
            [&](const FIX::Message &x) {
              return field(x, 11) == tag + "-x" && (field(x, 150) == "8" || field(x, 39) == "2");
            },
            &m),
        "%s-x neither filled nor refused", tag.c_str());
  CHECK(field(m, 150) != "8", "%s-x refused: %s", tag.c_str(), field(m, 58).c_str());
}

int main(int argc, char **argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: e2e_restart OMSD CONFIG WORKDIR\n");
    return 2;
  }
  g_omsd = argv[1];
  g_conf = argv[2];
  g_work = argv[3];
  std::system(("rm -rf '" + g_work + "' && mkdir -p '" + g_work + "'").c_str());
  g_data = g_work + "/data";
  g_port = free_port();
  if (!start_omsd()) {
    std::fprintf(stderr, "FAIL: omsd did not start (see %s/omsd.log)\n", g_work.c_str());
    return 1;
  }
  auto t0 = std::chrono::steady_clock::now();
  {
    std::ostringstream s;
    s << "[DEFAULT]\nConnectionType=initiator\nHeartBtInt=30\nReconnectInterval=1\n"
      << "FileStorePath=" << g_work << "/qf-store\nFileLogPath=" << g_work << "/qf-log\n"
      << "StartTime=00:00:00\nEndTime=00:00:00\nSocketConnectHost=127.0.0.1\n"
      << "SocketConnectPort=" << g_port << "\nUseDataDictionary=N\n"
      << "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=CLIENT2\nTargetCompID=OMS\n";
    std::istringstream in(s.str());
    Client c;
    FIX::SessionSettings ss(in);
    FIX::FileStoreFactory sf(ss);
    FIX::FileLogFactory lf(ss);
    FIX::SocketInitiator ini(c, sf, ss, lf);
    ini.start();
    CHECK(c.wait_logon(true, 5000), "logon");

    // 1. kill -9 with resting orders: the venue kept them.
    place_resting(c, "k");
    restart(c, SIGKILL, false);
    cancellable(c, "k");
    no_ghost(c, "k");

    // 2. SIGTERM with resting orders and a cancel in flight: the stop waits
    //    for the venue's answer, so nothing is PendingCancel afterwards.
    place_resting(c, "t");
    FIX::Message m;
    send(limit("t-c", '1', "59000"));
    CHECK(c.wait_for([&](const FIX::Message &x) { return er(x, "t-c", "0"); }, &m), "t-c New");
    send_cancel("t-c", "t-cx", '1');
    usleep(50000);  // at the venue, its answer due in 200 ms (omsd-restart.conf)
    restart(c, SIGTERM, false);
    CHECK(std::system(("grep -q 'msg=\"venues answered\"' '" + g_work + "/omsd.log'").c_str()) == 0,
          "the stop did not wait for the venue's answers");
    std::string st = status_of(c, "t-c", '1');
    CHECK(st == "4", "t-c OrdStatus %s after the stop, expected 4 (Canceled)", st.c_str());
    cancellable(c, "t");
    no_ghost(c, "t");

    // 3. kill -9 and the venue's book lost: omsd asks, the venue does not
    //    know them, and omsd reports them Canceled on its own.
    place_resting(c, "v");
    restart(c, SIGKILL, true);
    // The reports were sent while the client was away and reach it by resend.
    // A report the session lost before its resend (the session layer's
    // matter, issue 10) is said loudly, not failed here: the status below is
    // what this test is about.
    int told = 0;
    for (const char *id : {"v-b", "v-s"}) {
      FIX::Message cx;
      if (!c.wait_for([&](const FIX::Message &x) { return er(x, id, "4"); }, &cx, 5000)) {
        std::fprintf(stderr, "e2e_restart: WARNING: no unsolicited Canceled for %s\n", id);
        continue;
      }
      told++;
      CHECK(field(cx, 58).find("venue does not know") != std::string::npos, "%s Text: %s", id,
            field(cx, 58).c_str());
    }
    CHECK(told > 0, "no unsolicited Canceled at all");
    CHECK(status_of(c, "v-b", '1') == "4", "v-b not Canceled");
    CHECK(status_of(c, "v-s", '2') == "4", "v-s not Canceled");
    no_ghost(c, "v");
    ini.stop();
  }
  int rc = stop_omsd(SIGTERM);
  CHECK(rc == 0, "omsd exit status %d", rc);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "e2e_restart: %s in %.1f s (%d failures)\n", failures ? "FAILED" : "passed",
               secs, failures);
  if (failures) std::system(("tail -40 '" + g_work + "/omsd.log' >&2").c_str());
  return failures ? 1 : 0;
}

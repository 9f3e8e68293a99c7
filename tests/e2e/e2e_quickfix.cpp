// e2e_quickfix.cpp - end-to-end tests of omsd with QuickFIX as the FIX client.
//
// Starts omsd (argv[1]) with tests/e2e/omsd-e2e.conf on a free loopback port
// and a fresh data directory, and drives it with a QuickFIX 1.15 initiator
// that validates every message omsd sends against jspurefix's FIX44.xml
// (fetched with `npm pack jspurefix` into the build tree; without npm the
// dictionary is off and the test says so loudly). Then raw-socket abuse:
// garbage, truncated messages, wrong checksum, wrong CompIDs, messages before
// Logon; omsd must answer per FIX and keep serving.
//
// usage: e2e_quickfix OMSD CONFIG WORKDIR
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
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include <quickfix/Application.h>
#include <quickfix/FileLog.h>
#include <quickfix/FileStore.h>
#include <quickfix/Message.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketInitiator.h>

#include "qf_client.h"

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

// ---- The client application --------------------------------------------------------------

class Client : public FIX::Application {
 public:
  explicit Client(const std::string &password) : password_(password) {}
  std::mutex mu;
  std::condition_variable cv;
  std::deque<FIX::Message> msgs;  // application messages received
  bool logged_on = false;
  int logons = 0;
  int rejects = 0;    // session Rejects (3) received
  int poss_dups = 0;  // app messages received with PossDupFlag=Y
  std::string last_logon_seq;

  void onCreate(const FIX::SessionID &) override {}
  void onLogon(const FIX::SessionID &) override {
    std::lock_guard<std::mutex> l(mu);
    logged_on = true;
    logons++;
    cv.notify_all();
  }
  void onLogout(const FIX::SessionID &) override {
    std::lock_guard<std::mutex> l(mu);
    logged_on = false;
    cv.notify_all();
  }
  void toAdmin(FIX::Message &m, const FIX::SessionID &) override {
    if (field(m, 35) == "A") m.setField(554, password_);
  }
  void toApp(FIX::Message &, const FIX::SessionID &) throw(FIX::DoNotSend) override {}
  void fromAdmin(const FIX::Message &m,
                 const FIX::SessionID &) throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
                                               FIX::IncorrectTagValue, FIX::RejectLogon) override {
    std::lock_guard<std::mutex> l(mu);
    if (field(m, 35) == "3") rejects++;
    if (field(m, 35) == "A") last_logon_seq = field(m, 34);
  }
  void fromApp(const FIX::Message &m,
               const FIX::SessionID &) throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
                                             FIX::IncorrectTagValue,
                                             FIX::UnsupportedMessageType) override {
    std::lock_guard<std::mutex> l(mu);
    if (field(m, 43) == "Y") poss_dups++;
    msgs.push_back(m);
    cv.notify_all();
  }

  bool wait_logon(bool want, int ms = 5000) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, std::chrono::milliseconds(ms), [&] { return logged_on == want; });
  }
  // Waits for the first message matching pred, removing it and those before it.
  bool wait_for(std::function<bool(const FIX::Message &)> pred, FIX::Message *out, int ms = 5000) {
    std::unique_lock<std::mutex> l(mu);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    for (;;) {
      for (size_t i = 0; i < msgs.size(); i++) {
        if (pred(msgs[i])) {
          if (out) *out = msgs[i];
          msgs.erase(msgs.begin(), msgs.begin() + (long)i + 1);
          return true;
        }
      }
      if (cv.wait_until(l, deadline) == std::cv_status::timeout) return false;
    }
  }

 private:
  std::string password_;
};

static bool er_for(const FIX::Message &m, const std::string &clordid,
                   const std::string &exec_type) {
  return field(m, 35) == "8" && field(m, 11) == clordid && field(m, 150) == exec_type;
}

// ---- Helpers -------------------------------------------------------------------------------

static int connect_port(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (sockaddr *)&sa, sizeof sa) != 0) {
    close(fd);
    return -1;
  }
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

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
    int fd = connect_port(g_port);
    if (fd >= 0) {
      close(fd);
      return true;
    }
    usleep(10000);
  }
  return false;
}

static int stop_omsd() {
  if (g_pid <= 0) return -1;
  kill(g_pid, SIGTERM);
  int st = 0;
  for (int i = 0; i < 500; i++) {
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

// The dictionary: build/.../jspurefix/package/data/FIX44.xml, fetched once.
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

static std::string settings_text(const std::string &sender, const std::string &dict,
                                 const std::string &name) {
  std::ostringstream s;
  s << "[DEFAULT]\nConnectionType=initiator\nHeartBtInt=30\nReconnectInterval=1\n"
    << "FileStorePath=" << g_work << "/qf-store-" << name << "\nFileLogPath=" << g_work
    << "/qf-log-" << name << "\nStartTime=00:00:00\nEndTime=00:00:00\n"
    << "SocketConnectHost=127.0.0.1\nSocketConnectPort=" << g_port << "\n"
    << "ValidateUserDefinedFields=N\nAllowUnknownMsgFields=Y\n";
  if (dict.empty())
    s << "UseDataDictionary=N\n";
  else
    s << "UseDataDictionary=Y\nDataDictionary=" << dict << "\n";
  s << "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=" << sender << "\nTargetCompID=OMS\n";
  return s.str();
}

static std::string now_fix() { return FIX::UtcTimeStampConvertor::convert(FIX::UtcTimeStamp(), 3); }

static FIX::Message new_order(const std::string &clordid, const std::string &symbol, char side,
                              const std::string &qty, char ord_type, const std::string &px,
                              const std::string &stop, char tif, const std::string &extra_tag = "",
                              const std::string &extra_val = "") {
  FIX::Message m;
  m.getHeader().setField(35, "D");
  m.setField(11, clordid);
  m.setField(55, symbol);
  m.setField(54, std::string(1, side));
  m.setField(60, now_fix());
  m.setField(38, qty);
  m.setField(40, std::string(1, ord_type));
  if (!px.empty()) m.setField(44, px);
  if (!stop.empty()) m.setField(99, stop);
  m.setField(59, std::string(1, tif));
  if (!extra_tag.empty()) m.setField(std::atoi(extra_tag.c_str()), extra_val);
  return m;
}

// ---- Scenarios ----------------------------------------------------------------------------

static void order_flow(Client &c, const FIX::SessionID &sid) {
  FIX::Message er;
  // market, filled against the liquidity provider
  FIX::Message m = new_order("mkt-1", "BTC-USD", '1', "0.5", '1', "", "", '3');
  CHECK(FIX::Session::sendToTarget(m, sid), "send");
  CHECK(c.wait_for([](const FIX::Message &x) { return er_for(x, "mkt-1", "F"); }, &er),
        "no fill for mkt-1");
  CHECK(field(er, 39) == "2" && field(er, 14) == "0.5" && field(er, 151) == "0",
        "fill fields 39=%s 14=%s", field(er, 39).c_str(), field(er, 14).c_str());
  CHECK(!field(er, 31).empty() && field(er, 32) == "0.5", "LastPx/LastQty");
  // limit GTC resting
  m = new_order("lmt-1", "BTC-USD", '1', "0.2", '2', "60000", "", '1');
  FIX::Session::sendToTarget(m, sid);
  CHECK(c.wait_for([](const FIX::Message &x) { return er_for(x, "lmt-1", "0"); }, &er),
        "no New for lmt-1");
  std::string lmt_order_id = field(er, 37);
  // stop and stop-limit, DAY, GTD with ExpireTime, post-only, FOK, IOC
  m = new_order("stp-1", "ETH-USD", '2', "1", '3', "", "3000", '1');
  FIX::Session::sendToTarget(m, sid);
  CHECK(c.wait_for([](const FIX::Message &x) { return er_for(x, "stp-1", "0"); }, &er),
        "stop not accepted");
  m = new_order("stl-1", "ETH-USD", '2', "1", '4', "2999", "3000", '0');
  FIX::Session::sendToTarget(m, sid);
  CHECK(c.wait_for([](const FIX::Message &x) { return er_for(x, "stl-1", "0"); }, &er),
        "stop-limit not accepted");
  char expire_buf[32];
  time_t later = time(nullptr) + 3600;
  struct tm tm_later;
  gmtime_r(&later, &tm_later);
  strftime(expire_buf, sizeof expire_buf, "%Y%m%d-%H:%M:%S.000", &tm_later);
  std::string expire = expire_buf;
  m = new_order("gtd-1", "AAPL", '1', "10", '2', "150", "", '6', "126", expire);
  FIX::Session::sendToTarget(m, sid);
  CHECK(c.wait_for([](const FIX::Message &x) { return er_for(x, "gtd-1", "0"); }, &er),
        "GTD not accepted");
  CHECK(field(er, 59) == "6", "59=%s", field(er, 59).c_str());
  m = new_order("po-1", "AAPL", '2', "10", '2', "250", "", '1', "18", "6");
  FIX::Session::sendToTarget(m, sid);
  CHECK(c.wait_for([](const FIX::Message &x) { return er_for(x, "po-1", "0"); }, &er),
        "post-only not accepted");
  CHECK(field(er, 18) == "6", "18=%s", field(er, 18).c_str());
  m = new_order("fok-1", "BTC-USD", '1', "50", '2', "65100", "", '4');
  FIX::Session::sendToTarget(m, sid);
  CHECK(c.wait_for(
            [](const FIX::Message &x) {
              return field(x, 11) == "fok-1" && (field(x, 150) == "4" || field(x, 150) == "8");
            },
            &er),
        "FOK not killed");
  // replace the limit: a new ClOrdID, a new price
  FIX::Message g;
  g.getHeader().setField(35, "G");
  g.setField(41, "lmt-1");
  g.setField(11, "lmt-2");
  g.setField(55, "BTC-USD");
  g.setField(54, "1");
  g.setField(60, now_fix());
  g.setField(38, "0.3");
  g.setField(40, "2");
  g.setField(44, "60500");
  FIX::Session::sendToTarget(g, sid);
  CHECK(c.wait_for([](const FIX::Message &x) { return er_for(x, "lmt-2", "5"); }, &er),
        "no Replaced");
  CHECK(field(er, 41) == "lmt-1" && field(er, 44) == "60500" && field(er, 38) == "0.3",
        "replace fields");
  CHECK(field(er, 37) == lmt_order_id, "OrderID kept");
  // status request
  FIX::Message h;
  h.getHeader().setField(35, "H");
  h.setField(11, "lmt-2");
  h.setField(55, "BTC-USD");
  h.setField(54, "1");
  FIX::Session::sendToTarget(h, sid);
  CHECK(c.wait_for([](const FIX::Message &x) { return er_for(x, "lmt-2", "I"); }, &er),
        "no status");
  CHECK(field(er, 39) == "0", "status 39=%s", field(er, 39).c_str());
  // cancel
  FIX::Message f;
  f.getHeader().setField(35, "F");
  f.setField(41, "lmt-2");
  f.setField(11, "lmt-3");
  f.setField(55, "BTC-USD");
  f.setField(54, "1");
  f.setField(60, now_fix());
  FIX::Session::sendToTarget(f, sid);
  CHECK(c.wait_for([](const FIX::Message &x) { return er_for(x, "lmt-3", "4"); }, &er),
        "no Canceled");
  CHECK(field(er, 41) == "lmt-2", "41=%s", field(er, 41).c_str());
  // cancel again: OrderCancelReject
  f.setField(11, "lmt-4");
  FIX::Session::sendToTarget(f, sid);
  CHECK(c.wait_for(
            [](const FIX::Message &x) { return field(x, 35) == "9" && field(x, 11) == "lmt-4"; },
            &er),
        "no OrderCancelReject");
  CHECK(field(er, 434) == "1", "434=%s", field(er, 434).c_str());
  // rejection with reason: above the instrument's maximum, another account
  m = new_order("big-1", "BTC-USD", '1', "500", '2', "60000", "", '1');
  FIX::Session::sendToTarget(m, sid);
  CHECK(c.wait_for([](const FIX::Message &x) { return er_for(x, "big-1", "8"); }, &er),
        "no reject");
  CHECK(field(er, 58).find("MAX_QTY") != std::string::npos && !field(er, 103).empty(), "58=%s",
        field(er, 58).c_str());
  m = new_order("acc-1", "BTC-USD", '1', "0.1", '2', "60000", "", '1', "1", "ACC2");
  FIX::Session::sendToTarget(m, sid);
  CHECK(c.wait_for([](const FIX::Message &x) { return er_for(x, "acc-1", "8"); }, &er),
        "no entitlement reject");
  CHECK(field(er, 58).find("NOT_ENTITLED") != std::string::npos, "58=%s", field(er, 58).c_str());
  // issue 16: 6000 AAPL at 190 = 1,140,000 in the tech sector group (with the AAPL
  // orders above resting), limit 1,000,000
  m = new_order("conc-1", "AAPL", '1', "6000", '2', "190", "", '1');
  FIX::Session::sendToTarget(m, sid);
  CHECK(c.wait_for([](const FIX::Message &x) { return er_for(x, "conc-1", "8"); }, &er),
        "no concentration reject");
  CHECK(field(er, 103) == "3" &&
            field(er, 58).find("sector group tech exposure") != std::string::npos &&
            field(er, 58).find("order 1140000) exceeds limit 1000000") != std::string::npos,
        "103=%s 58=%s", field(er, 103).c_str(), field(er, 58).c_str());
  // duplicate ClOrdID
  m = new_order("mkt-1", "BTC-USD", '1', "0.7", '1', "", "", '3');
  FIX::Session::sendToTarget(m, sid);
  CHECK(c.wait_for([](const FIX::Message &x) { return er_for(x, "mkt-1", "8"); }, &er),
        "no duplicate reject");
  CHECK(field(er, 103) == "6", "103=%s", field(er, 103).c_str());
  // a resend (PossResend=Y) of gtd-1: its status, never a second order
  m = new_order("gtd-1", "AAPL", '1', "10", '2', "150", "", '6', "126", expire);
  m.getHeader().setField(97, "Y");
  FIX::Session::sendToTarget(m, sid);
  CHECK(c.wait_for([](const FIX::Message &x) { return er_for(x, "gtd-1", "I"); }, &er),
        "no answer to resend");
  // mass cancel
  FIX::Message q;
  q.getHeader().setField(35, "q");
  q.setField(11, "mc-1");
  q.setField(530, "7");
  q.setField(60, now_fix());
  FIX::Session::sendToTarget(q, sid);
  CHECK(
      c.wait_for(
          [](const FIX::Message &x) { return field(x, 35) == "r" && field(x, 11) == "mc-1"; }, &er),
      "no MassCancelReport");
  CHECK(field(er, 531) == "7" && std::atoi(field(er, 533).c_str()) >= 3, "531=%s 533=%s",
        field(er, 531).c_str(), field(er, 533).c_str());
  // an unsupported message type: BusinessMessageReject
  FIX::Message n;
  n.getHeader().setField(35, "B");
  n.setField(148, "hello");
  n.setField(33, "1");  // LinesOfText, required by the dictionary omsd validates with
  n.setField(58, "line");
  FIX::Session::sendToTarget(n, sid);
  CHECK(c.wait_for([](const FIX::Message &x) { return field(x, 35) == "j"; }, &er),
        "no BusinessMessageReject");
  CHECK(field(er, 380) == "3", "380=%s", field(er, 380).c_str());
  CHECK(c.rejects == 0, "omsd's messages were rejected by QuickFIX %d times", c.rejects);
}

// Reads until the peer closes (0) or times out (-1).
static int read_until_closed(int fd, std::string *got) {
  char buf[4096];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n == 0) return 0;
    if (n < 0) return -1;
    if (got) got->append(buf, (size_t)n);
  }
}

static std::string frame(const std::string &body_bar) {
  std::string body = body_bar;
  for (auto &ch : body)
    if (ch == '|') ch = '\001';
  std::string m = "8=FIX.4.4\0019=" + std::to_string(body.size()) + "\001" + body;
  unsigned sum = 0;
  for (unsigned char ch : m) sum += ch;
  char t[16];
  std::snprintf(t, sizeof t, "10=%03u\001", sum & 0xFF);
  return m + t;
}

static std::string bad_checksum(std::string m) {
  size_t k = m.rfind("10=");
  m[k + 3] = m[k + 3] == '9' ? '8' : '9';
  return m;
}

static void raw_abuse() {
  std::string ts = now_fix();
  struct Case {
    const char *name;
    std::string bytes;
  } cases[] = {
      {"garbage", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"wrong CompID", frame("35=A|49=EVIL|56=OMS|34=1|52=" + ts + "|98=0|108=30|")},
      {"before Logon", frame("35=D|49=CLIENT1|56=OMS|34=1|52=" + ts +
                             "|11=x|55=AAPL|54=1|60=" + ts + "|38=1|40=1|")},
      {"wrong checksum",
       bad_checksum(frame("35=A|49=CLIENT1|56=OMS|34=1|52=" + ts + "|98=0|108=30|"))},
      {"bad password", frame("35=A|49=CLIENT1|56=OMS|34=1|52=" + ts + "|98=0|108=30|554=nope|")},
  };
  for (auto &cs : cases) {
    int fd = connect_port(g_port);
    CHECK(fd >= 0, "connect for %s", cs.name);
    if (fd < 0) continue;
    send(fd, cs.bytes.data(), cs.bytes.size(), MSG_NOSIGNAL);
    CHECK(read_until_closed(fd, nullptr) == 0, "omsd did not close the connection after %s",
          cs.name);
    close(fd);
  }
  // truncated: half a Logon, then the peer goes away; omsd keeps serving
  int fd = connect_port(g_port);
  std::string half =
      frame("35=A|49=CLIENT1|56=OMS|34=1|52=" + ts + "|98=0|108=30|554=client1-secret|");
  send(fd, half.data(), half.size() / 2, MSG_NOSIGNAL);
  close(fd);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: e2e_quickfix OMSD CONFIG WORKDIR\n");
    return 2;
  }
  g_omsd = argv[1];
  g_conf = argv[2];
  g_work = argv[3];
  std::system(("rm -rf '" + g_work + "' && mkdir -p '" + g_work + "'").c_str());
  g_data = g_work + "/data";
  g_port = free_port();
  std::string dict = dictionary();
  if (dict.empty())
    std::fprintf(
        stderr,
        "\n*** WARNING: jspurefix's FIX44.xml could not be fetched with npm: QuickFIX runs\n"
        "*** with UseDataDictionary=N and does NOT validate omsd's messages.\n\n");
  else
    std::fprintf(stderr, "e2e: QuickFIX validates with %s\n", dict.c_str());
  if (!start_omsd()) {
    std::fprintf(stderr, "FAIL: omsd did not start (see %s/omsd.log)\n", g_work.c_str());
    return 1;
  }
  auto t0 = std::chrono::steady_clock::now();
  {
    // 1. CLIENT1: every order type, cancel, replace, rejections, status, mass cancel
    Client c1("client1-secret");
    std::istringstream in(settings_text("CLIENT1", dict, "c1"));
    FIX::SessionSettings ss(in);
    FIX::FileStoreFactory sf(ss);
    FIX::FileLogFactory lf(ss);
    FIX::SocketInitiator ini(c1, sf, ss, lf);
    ini.start();
    CHECK(c1.wait_logon(true), "CLIENT1 logon");
    FIX::SessionID sid("FIX.4.4", "CLIENT1", "OMS");
    order_flow(c1, sid);
    // 2. reconnect with resend: forget what we received, log on again and get
    //    omsd's application messages resent with PossDupFlag=Y
    ini.stop();
    CHECK(c1.wait_logon(false), "CLIENT1 logout");
    FIX::Session *s = FIX::Session::lookupSession(sid);
    int resend_from = s->getExpectedTargetNum() - 5;
    s->setNextTargetMsgSeqNum(resend_from);
    c1.poss_dups = 0;
    ini.start();
    CHECK(c1.wait_logon(true), "CLIENT1 logon again");
    for (int i = 0; i < 100 && c1.poss_dups == 0; i++) usleep(20000);
    CHECK(c1.poss_dups > 0, "no message resent with PossDupFlag=Y");
    CHECK(c1.rejects == 0, "rejects after resend: %d", c1.rejects);
    // 3. abuse on raw sockets while CLIENT1 is logged on; it keeps working
    raw_abuse();
    FIX::Message h;
    h.getHeader().setField(35, "H");
    h.setField(11, "mkt-1");
    h.setField(55, "BTC-USD");
    h.setField(54, "1");
    FIX::Session::sendToTarget(h, sid);
    FIX::Message er;
    CHECK(c1.wait_for([](const FIX::Message &x) { return er_for(x, "mkt-1", "I"); }, &er),
          "omsd stopped serving after the abuse");
    CHECK(field(er, 39) == "2", "mkt-1 39=%s", field(er, 39).c_str());
    ini.stop();
  }
  {
    // 4. daemon restart: CLIENT2 (no cancel-on-disconnect) leaves an order,
    //    omsd restarts, the session resumes its sequence numbers and the
    //    order is still there
    Client c2("client2-secret");
    std::istringstream in(settings_text("CLIENT2", dict, "c2"));
    FIX::SessionSettings ss(in);
    FIX::FileStoreFactory sf(ss);
    FIX::FileLogFactory lf(ss);
    FIX::SocketInitiator ini(c2, sf, ss, lf);
    ini.start();
    CHECK(c2.wait_logon(true), "CLIENT2 logon");
    FIX::SessionID sid("FIX.4.4", "CLIENT2", "OMS");
    FIX::Message m = new_order("keep-1", "BTC-USD", '1', "0.1", '2', "60000", "", '1');
    FIX::Session::sendToTarget(m, sid);
    FIX::Message er;
    CHECK(c2.wait_for([](const FIX::Message &x) { return er_for(x, "keep-1", "0"); }, &er),
          "keep-1 New");
    std::string order_id = field(er, 37);
    CHECK(field(er, 1) == "ACC2", "account %s", field(er, 1).c_str());
    int seq_before = FIX::Session::lookupSession(sid)->getExpectedTargetNum();
    int rc = stop_omsd();
    CHECK(rc == 0, "omsd exit status %d", rc);
    CHECK(c2.wait_logon(false), "CLIENT2 saw the logout");
    CHECK(start_omsd(), "omsd restart");
    CHECK(c2.wait_logon(true, 10000), "CLIENT2 logon after restart");
    int seq_after = std::atoi(c2.last_logon_seq.c_str());
    CHECK(seq_after >= seq_before, "omsd's Logon MsgSeqNum %d, expected >= %d", seq_after,
          seq_before);
    FIX::Message h;
    h.getHeader().setField(35, "H");
    h.setField(11, "keep-1");
    h.setField(55, "BTC-USD");
    h.setField(54, "1");
    FIX::Session::sendToTarget(h, sid);
    CHECK(c2.wait_for([](const FIX::Message &x) { return er_for(x, "keep-1", "I"); }, &er),
          "no status after restart");
    CHECK(field(er, 37) == order_id, "OrderID %s, expected %s", field(er, 37).c_str(),
          order_id.c_str());
    CHECK(c2.rejects == 0, "rejects: %d", c2.rejects);
    ini.stop();
  }
  int rc = stop_omsd();
  CHECK(rc == 0, "omsd exit status %d", rc);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "e2e: %s in %.1f s (%d failures)%s\n", failures ? "FAILED" : "passed", secs,
               failures, dict.empty() ? " -- WITHOUT the data dictionary" : "");
  if (failures) std::system(("tail -30 '" + g_work + "/omsd.log' >&2").c_str());
  return failures ? 1 : 0;
}

// qf_client.h - what the QuickFIX end-to-end programs share: the FIX
// client that keeps every application message it receives and lets the
// test wait for one, and the loopback helpers that start a daemon on a
// free port. A program that needs more of the client overrides a hook.
#ifndef OMS_TESTS_E2E_QF_CLIENT_H
#define OMS_TESTS_E2E_QF_CLIENT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>

#include <quickfix/Application.h>
#include <quickfix/Message.h>

// A field of the body, else of the header; "" when absent.
static inline std::string field(const FIX::Message &m, int tag) {
  if (m.isSetField(tag)) return m.getField(tag);
  if (m.getHeader().isSetField(tag)) return m.getHeader().getField(tag);
  return "";
}

// An ExecutionReport of ExecType exec_type about ClOrdID clordid.
static inline bool er(const FIX::Message &m, const std::string &clordid,
                      const std::string &exec_type) {
  return field(m, 35) == "8" && field(m, 11) == clordid && field(m, 150) == exec_type;
}

// A loopback port free at the moment of asking.
static inline int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, (sockaddr *)&sa, sizeof sa);
  socklen_t sl = sizeof sa;
  getsockname(fd, (sockaddr *)&sa, &sl);
  int p = ntohs(sa.sin_port);
  close(fd);
  return p;
}

// Something accepts connections on the loopback port.
static inline bool listening(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, (sockaddr *)&sa, sizeof sa) == 0;
  close(fd);
  return ok;
}

// The client: logs on with password and keeps every application message.
class QfClient : public FIX::Application {
 public:
  explicit QfClient(const std::string &password) : password_(password) {}
  std::mutex mu;
  std::condition_variable cv;
  std::deque<FIX::Message> msgs;
  bool logged_on = false;

  void onCreate(const FIX::SessionID &) override {}
  void onLogon(const FIX::SessionID &) override { set_logon(true); }
  void onLogout(const FIX::SessionID &) override { set_logon(false); }
  void toAdmin(FIX::Message &m, const FIX::SessionID &) override {
    if (field(m, 35) == "A") m.setField(554, password_);
  }
  void toApp(FIX::Message &, const FIX::SessionID &) throw(FIX::DoNotSend) override {}
  void fromAdmin(const FIX::Message &,
                 const FIX::SessionID &) throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
                                               FIX::IncorrectTagValue, FIX::RejectLogon) override {}
  void fromApp(const FIX::Message &m,
               const FIX::SessionID &) throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
                                             FIX::IncorrectTagValue,
                                             FIX::UnsupportedMessageType) override {
    std::lock_guard<std::mutex> l(mu);
    msgs.push_back(m);
    cv.notify_all();
  }

  bool wait_logon(bool want, int ms) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, std::chrono::milliseconds(ms), [&] { return logged_on == want; });
  }
  // The first message matching pred (removed with those before it).
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
  void set_logon(bool on) {
    std::lock_guard<std::mutex> l(mu);
    logged_on = on;
    cv.notify_all();
  }
  std::string password_;
};

#endif  // OMS_TESTS_E2E_QF_CLIENT_H

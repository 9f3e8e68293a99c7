// sse_mock.js PORTFILE - a stand-in for omsd's event stream, to test how
// omsctl's `events --follow` reads it when the connection drops
// (tests/omsctl/follow.sh). It listens on 127.0.0.1 (any free port, written
// to PORTFILE) and serves GET /v1/events/stream:
//   1st connection: events 1 and 2 (CRLF line ends, a keepalive comment, a
//     transient event without an id, data split over two lines), then the
//     socket is destroyed mid-stream;
//   2nd connection: must carry Last-Event-ID: 2; gets event 3, then stays
//     open with keepalives until omsctl goes away.
// A wrong token gets 401 (and does not count). Each request is logged on stdout as
// "request N last-event-id=X".
'use strict';
const http = require('http');
const fs = require('fs');

const ev = (seq, type) =>
  JSON.stringify({ seq, type, event_ns: 1700000000000000000 + seq,
                   order: { order_id: 40 + seq, symbol: 'AAPL', side: 'BUY', qty: '1',
                            price: '185', state: 'ACCEPTED' } });
let n = 0, all = 0;
const server = http.createServer((req, res) => {
  console.log(`request ${++all} last-event-id=${req.headers['last-event-id'] || ''}`);
  if (req.headers.authorization !== 'Bearer good') {
    res.writeHead(401, { 'Content-Type': 'application/json' });
    res.end('{"error":{"code":"UNAUTHORIZED","message":"missing or wrong token"}}');
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/event-stream' });
  if (++n === 1) {
    res.write(': keepalive\r\n\r\n');
    res.write(`id: 1\r\nevent: OrderSubmitted\r\ndata: ${ev(1, 'OrderSubmitted')}\r\n\r\n`);
    res.write(`event: Alarm\ndata: {"seq":0,"type":"Alarm",\ndata: "text":"transient"}\n\n`);
    const two = `id: 2\nevent: OrderAccepted\ndata: ${ev(2, 'OrderAccepted')}\n\n`;
    res.write(two.slice(0, 10));
    setTimeout(() => {
      res.write(two.slice(10));
      setTimeout(() => req.socket.destroy(), 100);
    }, 100);
  } else {
    res.write(`id: 3\nevent: OrderFilled\ndata: ${ev(3, 'OrderFilled')}\n\n`);
    const t = setInterval(() => res.write(': keepalive\n\n'), 200);
    res.on('close', () => clearInterval(t));
  }
});
server.listen(0, '127.0.0.1', () => {
  fs.writeFileSync(process.argv[2], String(server.address().port));
});
process.on('SIGTERM', () => process.exit(0));

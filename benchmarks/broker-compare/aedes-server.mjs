// Aedes (npm) on 127.0.0.1 for run.sh: MQTT over TCP and over WebSocket (path /mqtt, binary
// frames, subprotocol mqtt). Prints "listening tcp 127.0.0.1:PORT" and "listening ws URL" like the
// Stratus bridge, so run.sh reads the ports the same way. Port 0 picks a free port.
//
// usage: node aedes-server.mjs [--tcp-port P] [--ws-port P]
import { createServer as createTcpServer } from 'node:net'
import { createServer as createHttpServer } from 'node:http'
import { Aedes } from 'aedes'
import { WebSocketServer, createWebSocketStream } from 'ws'

function option (name, fallback) {
  const i = process.argv.indexOf(name)
  return i >= 0 && i + 1 < process.argv.length ? Number(process.argv[i + 1]) : fallback
}

const tcpPort = option('--tcp-port', 0)
const wsPort = option('--ws-port', 0)
const aedes = await Aedes.createBroker()

const tcp = createTcpServer(aedes.handle)
tcp.listen(tcpPort, '127.0.0.1', () => {
  console.log(`listening tcp 127.0.0.1:${tcp.address().port}`)
})

const http = createHttpServer()
// ws picks the first subprotocol the client offers; the loadgen offers only "mqtt".
const wss = new WebSocketServer({ server: http, path: '/mqtt' })
wss.on('connection', (websocket, req) => {
  aedes.handle(createWebSocketStream(websocket), req)
})
http.listen(wsPort, '127.0.0.1', () => {
  console.log(`listening ws ws://127.0.0.1:${http.address().port}/mqtt`)
})

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    tcp.close()
    http.close()
    aedes.close(() => process.exit(0))
    // Open client connections would keep close() waiting: do not outlive the benchmark.
    setTimeout(() => process.exit(0), 1000).unref()
  })
}

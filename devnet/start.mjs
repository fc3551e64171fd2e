// A local, offline AT Protocol network: an in-memory PLC directory and a PDS, on loopback.
// Usage: node devnet/start.mjs [--plc-port N] [--pds-port N] [--seed] [--stdin-lifeline]
// (or PLC_PORT / PDS_PORT in the environment; 0 = pick a free port). --seed creates
// alice.test (password alice-password); --stdin-lifeline stops when stdin closes (for a
// parent process that may die without signalling). Prints one line
//   READY {"pds": "http://localhost:N", "plc": "http://localhost:N", "admin_password": "..."}
// on stdout once both listen, and stops on SIGTERM/SIGINT. Data lives in a fresh temp dir.
// DEVNET_HOSTS="plyr.devnet.internal=127.0.0.1,..." resolves those names (for a local https
// OAuth client, whose client_id may not be an IP address); NODE_EXTRA_CA_CERTS trusts its
// certificate.
import crypto from 'node:crypto'
import dns from 'node:dns'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import cryptoPkg from '@atproto/crypto'
import pdsPkg from '@atproto/pds'
import plcPkg from '@did-plc/server'

const { Secp256k1Keypair } = cryptoPkg
const { PDS, envToCfg, envToSecrets } = pdsPkg
const { PlcServer, Database: PlcDatabase } = plcPkg

const HOST = process.env.DEVNET_HOST || '127.0.0.1' // where both servers listen

const extraHosts = new Map(
  (process.env.DEVNET_HOSTS || '')
    .split(',')
    .filter(Boolean)
    .map((entry) => entry.split('=')),
)
if (extraHosts.size) {
  const lookup = dns.lookup
  dns.lookup = (hostname, options, callback) => {
    if (typeof options === 'function') [options, callback] = [{}, options]
    const address = extraHosts.get(hostname)
    if (address === undefined) return lookup(hostname, options, callback)
    const family = address.includes(':') ? 6 : 4
    if (options?.all) return process.nextTick(callback, null, [{ address, family }])
    return process.nextTick(callback, null, address, family)
  }
}
const args = process.argv.slice(2)
const arg = (name) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}
const plcPort = Number(arg('--plc-port') ?? process.env.PLC_PORT ?? 0)
const pdsPort = Number(arg('--pds-port') ?? process.env.PDS_PORT ?? 0)
const seed = args.includes('--seed')

const freePort = () =>
  new Promise((resolve, reject) => {
    const srv = net.createServer().once('error', reject)
    srv.listen(0, HOST, () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })

// express's app.listen(port) binds every interface: keep the servers on loopback
const listenOn = (app) => {
  const listen = app.listen.bind(app)
  app.listen = (port, ...rest) => listen(port, HOST, ...rest)
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plyr-devnet-'))
const cleanup = () => fs.rmSync(dataDir, { recursive: true, force: true })
process.on('exit', cleanup)

let plc, pds, stopping = false
const stop = async (code = 0) => {
  if (stopping) return
  stopping = true
  setTimeout(() => process.exit(code), 3000).unref() // keep-alive connections hold destroy()
  try {
    await pds?.destroy()
    await plc?.destroy()
  } catch (err) {
    console.error('devnet: error while stopping:', err)
  }
  process.exit(code)
}
process.on('SIGTERM', () => stop(0))
process.on('SIGINT', () => stop(0))
if (args.includes('--stdin-lifeline')) {
  process.stdin.on('end', () => stop(0)).on('error', () => stop(0))
  process.stdin.resume()
}

const main = async () => {
  plc = PlcServer.create({ db: PlcDatabase.mock(), port: plcPort })
  listenOn(plc.app)
  const plcServer = await plc.start()
  const plcUrl = `http://localhost:${plcServer.address().port}`

  const port = pdsPort || (await freePort())
  const rotationKey = await Secp256k1Keypair.create({ exportable: true })
  const recoveryKey = await Secp256k1Keypair.create()
  const adminPassword = crypto.randomBytes(12).toString('hex')
  const env = {
    devMode: true,
    hostname: 'localhost', // public URL and OAuth issuer: http://localhost:PORT
    port,
    serviceName: 'plyr devnet',
    dataDirectory: dataDir,
    blobstoreDiskLocation: path.join(dataDir, 'blobs'),
    didPlcUrl: plcUrl,
    plcRotationKeyK256PrivateKeyHex: Buffer.from(await rotationKey.export()).toString('hex'),
    recoveryDidKey: recoveryKey.did(),
    jwtSecret: crypto.randomBytes(16).toString('hex'),
    adminPassword,
    serviceHandleDomains: ['.test'],
    inviteRequired: false,
    rateLimitsEnabled: false,
    disableSsrfProtection: true,
    enableDidDocWithSession: true,
    // no AppView nor moderation service exists offline
    bskyAppViewUrl: 'https://appview.invalid',
    bskyAppViewDid: 'did:example:appview',
    modServiceUrl: 'https://moderation.invalid',
    modServiceDid: 'did:example:moderation',
    crawlers: [],
  }
  pds = await PDS.create(envToCfg(env), envToSecrets(env))
  listenOn(pds.app)
  await pds.start()
  const pdsUrl = `http://localhost:${port}`

  const ready = { pds: pdsUrl, plc: plcUrl, admin_password: adminPassword }
  if (seed) {
    const account = { handle: 'alice.test', password: 'alice-password' }
    const res = await fetch(`${pdsUrl}/xrpc/com.atproto.server.createAccount`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...account, email: 'alice@example.test' }),
    })
    const body = await res.json()
    if (!res.ok) throw new Error(`seeding alice.test: ${res.status} ${JSON.stringify(body)}`)
    ready.accounts = [{ handle: account.handle, did: body.did, password: account.password }]
  }
  process.stdout.write(`READY ${JSON.stringify(ready)}\n`)
}

main().catch((err) => {
  console.error('devnet: failed to start:', err)
  stop(1)
})

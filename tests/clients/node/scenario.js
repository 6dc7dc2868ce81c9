#!/usr/bin/env node
// End-to-end scenario for userstore driven by a real WSDL-generated client (npm `soap`, node-soap).
//
// node-soap builds its proxy from the WSDL served by userstore, so requests are serialised and
// responses parsed through the WSDL contract, not hand-written XML.
//
// Usage:
//   npm ci --prefix tests/clients/node
//   node tests/clients/node/scenario.js --wsdl URL --user admin --password PW [--soap12] [--prefix NAME]
//        [--address URL] [--auth-wsdl URL] [--verbose]
//
// --soap12 uses the WSDL's SOAP 1.2 port (RemoteUserStoreManagerServiceHttpsSoap12Endpoint) with
// forceSoap12Headers (SOAP 1.2 envelope, Content-Type application/soap+xml; action=...); otherwise
// the SOAP 1.1 port. --address overrides the port's address (e.g. for a WSDL file from elsewhere).
// --auth-wsdl also logs in through AuthenticationAdmin (a client built from that WSDL) and calls
// the user store with the JSESSIONID cookie alone. --verbose prints every request and response.
//
// Exit status: 0 on success, 1 on a failed step, 2 when node-soap is missing or the arguments are bad.
'use strict';

let soap;
try {
  soap = require('soap');
} catch (err) {
  console.error(
    `FATAL: the npm package 'soap' is not installed (${err.message}); ` +
      'run: npm ci --prefix tests/clients/node',
  );
  process.exit(2);
}

const SERVICE = 'RemoteUserStoreManagerService';
const PORTS = {
  soap11: 'RemoteUserStoreManagerServiceHttpsSoap11Endpoint',
  soap12: 'RemoteUserStoreManagerServiceHttpsSoap12Endpoint',
};
const EVERYONE = 'Internal/everyone';
const GIVEN_NAME = 'http://wso2.org/claims/givenname';
const NICKNAME = 'http://wso2.org/claims/nickname';

function usage(message) {
  if (message) console.error(`error: ${message}`);
  console.error(
    'usage: node scenario.js --wsdl URL --user USER --password PW [--soap12] [--prefix NAME] ' +
      '[--address URL] [--verbose]',
  );
  process.exit(2);
}

function parseArgs(argv) {
  const args = { soap12: false, prefix: 'node', verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--wsdl': args.wsdl = value(); break;
      case '--user': args.user = value(); break;
      case '--password': args.password = value(); break;
      case '--prefix': args.prefix = value(); break;
      case '--address': args.address = value(); break;
      case '--auth-wsdl': args.authWsdl = value(); break;
      case '--soap12': args.soap12 = true; break;
      case '--verbose': args.verbose = true; break;
      case '-h': case '--help': usage(); break;
      default: usage(`unknown argument ${a}`);
    }
  }
  for (const k of ['wsdl', 'user', 'password']) if (!args[k]) usage(`--${k} is required`);
  return args;
}

class ScenarioFailure extends Error {}

function check(condition, message) {
  if (!condition) throw new ScenarioFailure(message);
}

function expectEqual(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  check(a === e, `${what}: expected ${e}, got ${a}`);
}

function ciSorted(names) {
  return [...names].sort((x, y) => {
    const a = x.toLowerCase();
    const b = y.toLowerCase();
    if (a !== b) return a < b ? -1 : 1;
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

// node-soap gives a single repeated element as a scalar and an absent one as undefined/null.
function asList(value) {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

// node-soap rejects with an Error, or (for a non-XML answer such as HTTP 401) with a plain object
// { Fault, response, body }; never dump the latter whole: it holds the request's Authorization header.
function describeError(err) {
  if (err instanceof Error) return err.message;
  if (err && typeof err === 'object') {
    const status = err.response && err.response.status;
    const fault = err.Fault ? `${err.Fault.faultcode}: ${err.Fault.faultstring} (${err.Fault.detail})` : '';
    return `HTTP ${status}: ${fault} body ${JSON.stringify(String(err.body || '').slice(0, 300))}`;
  }
  return String(err);
}

let stepOpen = false;
function step(name) {
  process.stdout.write(`[node-soap] ${name} ... `);
  stepOpen = true;
}
function ok(detail) {
  console.log(detail ? `ok (${detail})` : 'ok');
  stepOpen = false;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const version = args.soap12 ? 'soap12' : 'soap11';
  const portName = PORTS[version];
  const p = args.prefix;
  const [teacher, doctor] = [`${p}teacher`, `${p}doctor`];
  const [alice, bob] = [`${p}alice`, `${p}bob`];
  const pw = 'Alice-pw-1';
  const soapVersion = require('soap/package.json').version;
  console.log(`[node-soap] soap ${soapVersion}, node ${process.version}, ${version}, wsdl ${args.wsdl}`);

  let client;
  let port;
  let last = null; // { status, body } of the last HTTP exchange
  const created = { users: [], roles: [] };

  // Calls an operation on the chosen port; resolves to { result, status, body }.
  const call = (op, input) =>
    new Promise((resolve, reject) => {
      const method = port[op];
      if (typeof method !== 'function') {
        reject(new ScenarioFailure(`port ${portName} has no operation ${op}`));
        return;
      }
      method(input, (err, result, rawResponse) => {
        if (err) {
          reject(err);
          return;
        }
        resolve({ result, status: last && last.status, body: rawResponse });
      });
    });

  // An operation with an output message: returns the value of its <ns:return> element(s).
  const ask = async (op, input) => {
    const { result, status, body } = await call(op, input);
    check(status === 200, `${op}: expected HTTP 200, got ${status}`);
    if (result === null || result === undefined) {
      // node-soap parses an empty wrapper (<ns:listUsersResponse/>: no <ns:return> at all, e.g. an
      // empty array) to null; make sure that is what the server sent and treat it as "no values".
      check(new RegExp(`<(\\w+:)?${op}Response[\\s/>]`).test(String(body)),
        `${op}: no ${op}Response element in the response: ${String(body).slice(0, 300)}`);
      return undefined;
    }
    check(typeof result === 'object', `${op}: unexpected parsed response ${JSON.stringify(result)}`);
    return result.return;
  };

  // An in-only operation: the server must answer HTTP 202 with an empty body, which node-soap
  // must report as success.
  const tell = async (op, input) => {
    const { status, body } = await call(op, input);
    check(
      status === 202 && (body === undefined || body === null || String(body).trim() === ''),
      `${op}: expected HTTP 202 with an empty body, got HTTP ${status} with ${JSON.stringify(body)}`,
    );
  };

  // Expects a SOAP fault whose reason contains `needle`; returns the fault text.
  const expectFault = async (op, input, needle) => {
    let result;
    try {
      result = await call(op, input);
    } catch (err) {
      if (err instanceof ScenarioFailure) throw err;
      check(last && last.status === 500, `${op}: expected HTTP 500 for a fault, got ${last && last.status}`);
      const fault = err.root && err.root.Envelope && err.root.Envelope.Body && err.root.Envelope.Body.Fault;
      check(fault, `${op}: error is not a parsed SOAP fault: ${err.message}`);
      const reason = args.soap12
        ? fault.Reason && (fault.Reason.Text && fault.Reason.Text.$value !== undefined ? fault.Reason.Text.$value : fault.Reason.Text)
        : fault.faultstring;
      const code = args.soap12 ? fault.Code && fault.Code.Value : fault.faultcode;
      const expectedCode = args.soap12 ? 'Receiver' : 'Server';
      check(typeof reason === 'string' && reason.includes(needle),
        `${op}: fault reason ${JSON.stringify(reason)} does not contain ${JSON.stringify(needle)} (error: ${err.message})`);
      check(err.message.includes(needle), `${op}: error message ${JSON.stringify(err.message)} lacks ${JSON.stringify(needle)}`);
      check(typeof code === 'string' && code.split(':').pop() === expectedCode,
        `${op}: fault code ${JSON.stringify(code)}, expected ...:${expectedCode}`);
      return reason;
    }
    throw new ScenarioFailure(`${op}: expected a SOAP fault containing ${JSON.stringify(needle)}, got ${JSON.stringify(result.result)}`);
  };

  const scenario = async () => {
    step('load WSDL and bind port');
    client = await soap.createClientAsync(args.wsdl, { forceSoap12Headers: args.soap12 });
    client.setSecurity(new soap.BasicAuthSecurity(args.user, args.password));
    if (args.address) client.setEndpoint(args.address); // redefines every port at this address
    client.on('request', (xml) => {
      if (args.verbose) console.error(`\n>>> ${xml}`);
    });
    client.on('response', (body, response) => {
      last = { status: response ? response.status : undefined, body };
      if (args.verbose) console.error(`--- request headers ${JSON.stringify(client.lastRequestHeaders)
        .replace(/("Authorization":"Basic )[^"]*"/i, '$1<redacted>"')}`);
      if (args.verbose) console.error(`<<< HTTP ${last.status} ${JSON.stringify(response && response.headers)}\n${body}`);
    });
    check(client[SERVICE], `WSDL has no service ${SERVICE}`);
    port = client[SERVICE][portName];
    check(port, `WSDL service ${SERVICE} has no port ${portName} (ports: ${Object.keys(client[SERVICE]).join(', ')})`);
    const location = args.address || client.wsdl.definitions.services[SERVICE].ports[portName].location;
    ok(`port ${portName} at ${location}`);

    step(`addRole ${teacher}, ${doctor}`);
    for (const role of [teacher, doctor]) {
      await tell('addRole', { roleName: role });
      created.roles.push(role);
    }
    expectEqual(await ask('isExistingRole', { roleName: teacher }), true, `isExistingRole(${teacher})`);
    ok();

    step(`addUser ${alice} with roles and a claim`);
    await tell('addUser', {
      userName: alice,
      credential: pw,
      roleList: [teacher, doctor],
      claims: [{ claimURI: GIVEN_NAME, value: 'Alice' }],
      profileName: 'default',
      requirePasswordChange: false,
    });
    created.users.push(alice);
    ok();

    step(`addUser ${bob}`);
    await tell('addUser', { userName: bob, credential: 'Bob-pw-1', profileName: 'default', requirePasswordChange: false });
    created.users.push(bob);
    ok();

    step(`addUser ${alice} again -> fault`);
    const reason = await expectFault('addUser', { userName: alice, credential: pw }, 'already exists');
    ok(`fault: ${reason}`);

    step('isExistingUser');
    expectEqual(await ask('isExistingUser', { userName: alice }), true, `isExistingUser(${alice})`);
    expectEqual(await ask('isExistingUser', { userName: `${p}ghost` }), false, `isExistingUser(${p}ghost)`);
    ok();

    step(`authenticate ${alice}`);
    expectEqual(await ask('authenticate', { userName: alice, credential: pw }), true, 'authenticate with the right password');
    expectEqual(await ask('authenticate', { userName: alice, credential: 'wrong-pw' }), false, 'authenticate with a wrong password');
    ok();

    step(`getRoleListOfUser ${alice}`);
    const roles = asList(await ask('getRoleListOfUser', { userName: alice }));
    expectEqual(roles, ciSorted([teacher, doctor, EVERYONE]), `getRoleListOfUser(${alice})`);
    ok(roles.join(', '));

    step(`getUserClaimValue ${alice}`);
    expectEqual(await ask('getUserClaimValue', { userName: alice, claim: GIVEN_NAME, profileName: 'default' }), 'Alice',
      `getUserClaimValue(${alice}, givenname)`);
    ok();

    step(`getUserClaimValues ${alice}`);
    const dtos = asList(await ask('getUserClaimValues', { userName: alice, profileName: 'default' }));
    const byUri = Object.fromEntries(dtos.map((c) => [c.claimUri, c.value]));
    expectEqual(byUri[GIVEN_NAME], 'Alice', `getUserClaimValues(${alice}) givenname`);
    check(/^[0-9a-f-]{36}$/.test(byUri['http://wso2.org/claims/userid'] || ''), `getUserClaimValues(${alice}): no userid UUID`);
    ok(`${dtos.length} ClaimDTOs`);

    step(`addUserClaimValues ${alice}`);
    await tell('addUserClaimValues', { userName: alice, claims: [{ claimURI: NICKNAME, value: 'ali' }], profileName: 'default' });
    await tell('addUserClaimValues', {
      userName: alice,
      claims: [{ claimURI: NICKNAME, value: 'ALI' }, { claimURI: NICKNAME, value: 'lissy' }],
      profileName: 'default',
    });
    expectEqual(await ask('getUserClaimValue', { userName: alice, claim: NICKNAME, profileName: 'default' }), 'ali,lissy',
      `nickname after addUserClaimValues (duplicates skipped)`);
    ok();

    if (args.authWsdl) {
      step(`AuthenticationAdmin.login ${alice}, then the session cookie alone`);
      // alice needs /permission/admin/login: a role that grants it.
      await tell('addRole', {
        roleName: `${p}login`,
        userList: [alice],
        permissions: [{ action: 'ui.execute', resourceId: '/permission/admin/login' }, { action: 'ui.execute', resourceId: '/permission/admin/manage/identity' }],
      });
      created.roles.push(`${p}login`);
      const auth = await soap.createClientAsync(args.authWsdl, { forceSoap12Headers: args.soap12 });
      const authPort = auth.AuthenticationAdmin[args.soap12 ? 'AuthenticationAdminHttpsSoap12Endpoint' : 'AuthenticationAdminHttpsSoap11Endpoint'];
      const [loggedIn, , headers] = await new Promise((resolve, reject) => {
        authPort.login({ username: alice, password: pw, remoteAddress: '127.0.0.1' }, (err, result, raw, soapHeader) => {
          if (err) reject(err); else resolve([result, raw, auth.lastResponseHeaders]);
        });
      });
      expectEqual(loggedIn.return, true, 'AuthenticationAdmin.login');
      const setCookie = [].concat(headers['set-cookie'] || []);
      const cookie = setCookie.map((c) => c.split(';')[0]).find((c) => c.startsWith('JSESSIONID='));
      check(cookie, `login set no JSESSIONID: ${JSON.stringify(headers)}`);
      const viaSession = await soap.createClientAsync(args.wsdl, { forceSoap12Headers: args.soap12 });
      if (args.address) viaSession.setEndpoint(args.address);
      viaSession.addHttpHeader('Cookie', cookie);
      const sessionPort = viaSession[SERVICE][portName];
      const exists = await new Promise((resolve, reject) => {
        sessionPort.isExistingUser({ userName: bob }, (err, result) => (err ? reject(err) : resolve(result)));
      });
      expectEqual(exists.return, true, 'isExistingUser with the session cookie and no Basic');
      ok(cookie.slice(0, 16) + '…');
    }

    step(`listUsers '${p}*'`);
    const users = asList(await ask('listUsers', { filter: `${p}*`, maxItemLimit: 10 }));
    expectEqual(users, ciSorted([alice, bob]), `listUsers(${p}*, 10)`);
    expectEqual(asList(await ask('listUsers', { filter: `${p}al*`, maxItemLimit: 10 })), [alice], `listUsers(${p}al*, 10)`);
    ok(users.join(', '));

    step(`deleteUser ${alice}, ${bob}`);
    for (const user of [alice, bob]) {
      await tell('deleteUser', { userName: user });
      expectEqual(await ask('isExistingUser', { userName: user }), false, `isExistingUser(${user}) after deleteUser`);
    }
    created.users.length = 0;
    expectEqual(asList(await ask('listUsers', { filter: `${p}*`, maxItemLimit: 10 })), [], `listUsers(${p}*) after deletes`);
    ok();

    step(`deleteRole ${teacher}, ${doctor}`);
    for (const role of [teacher, doctor]) {
      await tell('deleteRole', { roleName: role });
      expectEqual(await ask('isExistingRole', { roleName: role }), false, `isExistingRole(${role}) after deleteRole`);
    }
    created.roles.length = 0;
    ok();
  };

  try {
    await scenario();
  } catch (err) {
    if (stepOpen) console.log('FAILED');
    if (err instanceof Error && !(err instanceof ScenarioFailure)) console.error(err.stack);
    if (last) console.error(`[node-soap] last HTTP response: ${last.status} ${String(last.body).slice(0, 500)}`);
    console.error(`[node-soap] FAILURE: ${describeError(err)}`);
    // Best effort: remove what this run created so a rerun with the same --prefix starts clean.
    for (const user of created.users) await call('deleteUser', { userName: user }).catch(() => {});
    for (const role of created.roles) await call('deleteRole', { roleName: role }).catch(() => {});
    return 1;
  }
  console.log(`[node-soap] PASS (${version})`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`[node-soap] FAILURE: ${err && err.stack ? err.stack : err}`);
    process.exit(1);
  },
);

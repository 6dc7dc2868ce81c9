#!/usr/bin/env node
// The Carbon admin services beside RemoteUserStoreManagerService through node-soap clients
// built from a WSDL (WSO2's reference copies, address overridden, or the ones userstore serves):
// UserAdmin, RemoteAuthorizationManagerService, UserProfileMgtService and
// UserIdentityManagementAdminService.
//
// Usage:
//   node tests/clients/node/admin_services.js --base http://127.0.0.1:PORT --user admin
//        --password PW --wsdl-dir DIR|served [--soap12] [--prefix NAME]
//
// Exit status: 0 on success, 1 on a failed step, 2 when node-soap is missing or the arguments are bad.
'use strict';

let soap;
try {
  soap = require('soap');
} catch (err) {
  console.error(`FATAL: the npm package 'soap' is not installed (${err.message})`);
  process.exit(2);
}
const path = require('path');

function parseArgs(argv) {
  const args = { soap12: false, prefix: 'na' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => argv[++i];
    switch (a) {
      case '--base': args.base = value(); break;
      case '--user': args.user = value(); break;
      case '--password': args.password = value(); break;
      case '--wsdl-dir': args.wsdlDir = value(); break;
      case '--prefix': args.prefix = value(); break;
      case '--soap12': args.soap12 = true; break;
      default:
        console.error(`unknown argument ${a}`);
        process.exit(2);
    }
  }
  for (const k of ['base', 'user', 'password', 'wsdlDir']) {
    if (!args[k]) {
      console.error(`--${k} is required`);
      process.exit(2);
    }
  }
  return args;
}

class ScenarioFailure extends Error {}
function check(condition, message) {
  if (!condition) throw new ScenarioFailure(message);
}
function asList(value) {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const p = args.prefix;
  const kind = args.soap12 ? 'Soap12' : 'Soap11';

  // A client of `service` as `user`; call(op, body) resolves to the reply's `return`.
  const connect = async (service, user, password) => {
    const wsdl = args.wsdlDir === 'served'
      ? `${args.base}/services/${service}?wsdl`
      : path.join(args.wsdlDir, `${service}.wsdl`);
    const client = await soap.createClientAsync(wsdl, { forceSoap12Headers: args.soap12 });
    client.setSecurity(new soap.BasicAuthSecurity(user, password));
    const port = `${service}Https${kind}Endpoint`;
    client.setEndpoint(`${args.base}/services/${service}.${port}/`);
    const bound = client[service][port];
    check(bound, `${service} has no port ${port}`);
    return async (op, body) => {
      const [result] = await bound[`${op}`][Symbol.toStringTag] === 'AsyncFunction'
        ? [await bound[op](body)]
        : await new Promise((resolve, reject) => bound[op](body, (err, res, raw) => (err ? reject(err) : resolve([res, raw]))));
      return result ? result.return : undefined;
    };
  };
  const fault = async (promise) => {
    try {
      await promise;
    } catch (err) {
      const f = err && err.root && err.root.Envelope && err.root.Envelope.Body && err.root.Envelope.Body.Fault;
      if (f) return f.faultstring || (f.Reason && f.Reason.Text && (f.Reason.Text.$value || f.Reason.Text));
      return err.message;
    }
    throw new ScenarioFailure('expected a fault');
  };
  const names = (list) => asList(list).map((f) => f.itemName);

  const ua = await connect('UserAdmin', args.user, args.password);
  await ua('addRole', { roleName: `${p}_role`, permissions: ['/permission/admin/login'], isSharedRole: false });
  await ua('addUser', {
    userName: `${p}_alice`, password: 'Alice1pass', roles: [`${p}_role`],
    claims: [{ claimURI: 'http://wso2.org/claims/lastname', value: `${p}Last` }], profileName: 'default',
  });
  const users = names(await ua('listAllUsers', { filter: `${p}_*`, limit: -1 }));
  check(JSON.stringify(users) === JSON.stringify([`${p}_alice`, 'false']), `listAllUsers: ${users}`);
  const roles = asList(await ua('getRolesOfUser', { userName: `${p}_alice`, filter: '*', limit: -1 }));
  check(roles.some((r) => r.itemName === `${p}_role` && String(r.selected) === 'true'), 'getRolesOfUser');
  const tree = await ua('getRolePermissions', { roleName: `${p}_role` });
  check(tree.resourcePath === '/permission/', `permission tree: ${JSON.stringify(tree).slice(0, 200)}`);
  const text = await fault(ua('deleteRole', { roleName: 'admin' }));
  check(String(text).endsWith('Cannot delete admin role'), `deleteRole(admin): ${text}`);

  const authz = await connect('RemoteAuthorizationManagerService', args.user, args.password);
  await authz('authorizeUser', { userName: `${p}_alice`, resourceId: `/${p}/res`, action: 'ui.execute' });
  const allowed = await authz('isUserAuthorized', { userName: `${p}_alice`, resourceId: `/${p}/res/x`, action: 'ui.execute' });
  check(String(allowed) === 'true', `isUserAuthorized: ${allowed}`);
  const explicit = asList(await authz('getExplicitlyAllowedUsersForResource', { resourceId: `/${p}/res`, action: 'ui.execute' }));
  check(explicit.includes(`${p}_alice`), `explicitly allowed: ${explicit}`);

  const profiles = await connect('UserProfileMgtService', args.user, args.password);
  const dto = await profiles('getUserProfile', { username: `${p}_alice`, profileName: 'default' });
  const last = asList(dto.fieldValues).find((f) => f.displayName === 'Last Name');
  check(last && last.fieldValue === `${p}Last`, 'getUserProfile Last Name');

  const identity = await connect('UserIdentityManagementAdminService', args.user, args.password);
  await identity('disableUserAccount', { userName: `${p}_alice` });
  const as_alice = await connect('UserAdmin', `${p}_alice`, 'Alice1pass');
  const refused = await fault(as_alice('getRolesOfCurrentUser', {}));
  check(String(refused).includes('Authentication failed'), `a disabled account cannot log in: ${refused}`);
  await identity('enableUserAccount', { userName: `${p}_alice` });
  const mine = asList(await as_alice('getRolesOfCurrentUser', {}));
  check(mine.some((r) => r.itemName === `${p}_role` && String(r.selected) === 'true'), 'enabled again');

  await ua('deleteUser', { userName: `${p}_alice` });
  await ua('deleteRole', { roleName: `${p}_role` });
  console.log('[node-soap] admin services scenario passed');
}

main().catch((err) => {
  console.error(`[node-soap] FAILED: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});

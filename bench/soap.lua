-- wrk driver for userstore: SOAP 1.1 requests for one operation (or a mix) against users
-- user0000000 .. user{N-1} seeded by bench/run.sh. Configured through the environment:
--   OP     isExistingUser | getUserClaimValue | getRoleListOfUser | getUserClaimValues |
--          listUsers | authenticate | addUser | setUserClaimValue | mixed | health |
--          scimGetUser | scimFilterUser | scimPatchUser (SCIM 2.0 over the same users)
--   USERS  number of seeded users;  AUTH  the Basic token;  RUN  a unique id for new names.
-- done() prints one JSON line with the run's numbers.

local op = os.getenv("OP")
local users = tonumber(os.getenv("USERS"))
local auth = os.getenv("AUTH")
local run = os.getenv("RUN") or "0"
local path = "/services/RemoteUserStoreManagerService"
local counter = 0
-- thread_id is a global set per thread by setup(); 0 outside wrk's threads.
thread_id = thread_id or 0

local ns = 'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ser="http://service.ws.um.carbon.wso2.org"'

local function user()
  return string.format("user%07d", math.random(0, users - 1))
end
-- Stands in for a user name while a request is formatted; user() always has this width, so the
-- Content-Length stays right when the placeholder is replaced.
local placeholder = "@USERNAME@1"

local function soap(operation, inner)
  local body = "<soapenv:Envelope " .. ns .. "><soapenv:Body><ser:" .. operation .. ">" .. inner ..
    "</ser:" .. operation .. "></soapenv:Body></soapenv:Envelope>"
  return wrk.format("POST", path, {
    ["Content-Type"] = "text/xml; charset=UTF-8",
    ["SOAPAction"] = '"urn:' .. operation .. '"',
    ["Authorization"] = "Basic " .. auth,
  }, body)
end

-- Format once around a placeholder of the value's exact width, then splice per request.
local function spliced(format, mark, value)
  local head, tail
  return function()
    if head == nil then
      local request = format(mark)
      local at = request:find(mark, 1, true)
      head, tail = request:sub(1, at - 1), request:sub(at + #mark)
    end
    return head .. value() .. tail
  end
end

-- A request that differs only in a random user name: formatted once, then two concatenations
-- per request, so the load generator spends as little per SOAP request as per GET /health.
-- `width` keeps only the first characters of the name (a listUsers prefix filter).
local function per_user(operation, inner, width)
  width = width or #placeholder
  return spliced(function(mark)
    return soap(operation, (inner:gsub("USER", mark)))
  end, placeholder:sub(1, width), function()
    return user():sub(1, width)
  end)
end

-- SCIM: the same users by the ids bench/seed.py gives them (or, with IDS, the ids listed one
-- per line in that file: the reference server's), under PREFIX ("/scim2"; "" for scim2-server).
local prefix = os.getenv("PREFIX") or "/scim2"
local ids = nil
local function scim_id()
  local i = math.random(0, users - 1)
  if ids then
    return ids[i + 1]
  end
  return string.format("00000000-0000-4000-8000-%012d", i)
end
local function scim_headers()
  local headers = { ["Accept"] = "application/scim+json" }
  if auth and auth ~= "" then
    headers["Authorization"] = "Basic " .. auth
  end
  return headers
end
local id_placeholder = string.rep("#", 36)

local builders = {}
builders.scimGetUser = spliced(function(id)
  return wrk.format("GET", prefix .. "/Users/" .. id, scim_headers())
end, id_placeholder, scim_id)
builders.scimFilterUser = spliced(function(name)
  return wrk.format("GET", prefix .. "/Users?filter=userName%20eq%20%22" .. name .. "%22", scim_headers())
end, placeholder, user)
builders.scimPatchUser = function()
  counter = counter + 1
  local headers = scim_headers()
  headers["Content-Type"] = "application/scim+json"
  return wrk.format("PATCH", prefix .. "/Users/" .. scim_id(), headers,
    '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":' ..
    '[{"op":"replace","path":"title","value":"t' .. run .. "_" .. thread_id .. "_" .. counter .. '"}]}')
end
builders.isExistingUser = per_user("isExistingUser", "<ser:userName>USER</ser:userName>")
builders.getUserClaimValue = per_user("getUserClaimValue",
  "<ser:userName>USER</ser:userName><ser:claim>http://wso2.org/claims/country</ser:claim>")
builders.getRoleListOfUser = per_user("getRoleListOfUser", "<ser:userName>USER</ser:userName>")
builders.getUserClaimValues = per_user("getUserClaimValues", "<ser:userName>USER</ser:userName>")
-- The filter is the first 8 characters of a random name ("user0012*"): 100 or fewer matches.
builders.listUsers = per_user("listUsers",
  "<ser:filter>USER*</ser:filter><ser:maxItemLimit>100</ser:maxItemLimit>", 8)
builders.authenticate = per_user("authenticate",
  "<ser:userName>USER</ser:userName><ser:credential>Bench-user-pw1</ser:credential>")
builders.addUser = function()
  counter = counter + 1
  return soap("addUser", string.format("<ser:userName>new%s_%d_%d</ser:userName>", run, thread_id, counter) ..
    "<ser:credential>Bench-new-pw1</ser:credential><ser:roleList>role01</ser:roleList>")
end
builders.setUserClaimValue = function()
  counter = counter + 1
  return soap("setUserClaimValue", "<ser:userName>" .. user() ..
    "</ser:userName><ser:claimURI>http://wso2.org/claims/lastname</ser:claimURI><ser:claimValue>v" ..
    counter .. "</ser:claimValue>")
end
local health
builders.health = function()
  health = health or wrk.format("GET", "/health")
  return health
end
local reads = { "isExistingUser", "getUserClaimValue", "getRoleListOfUser", "getUserClaimValues", "listUsers" }
builders.mixed = function()
  local pick = math.random(100)
  if pick <= 80 then
    return builders[reads[math.random(#reads)]]()
  elseif pick <= 95 then
    return builders.authenticate()
  else
    return builders.setUserClaimValue()
  end
end

local threads = {}
function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() + thread_id * 7919)
  local ids_file = os.getenv("IDS")
  if ids_file and ids_file ~= "" then
    ids = {}
    for line in io.lines(ids_file) do
      table.insert(ids, line)
    end
    users = #ids
  end
  if builders[op] == nil then
    error("unknown OP " .. tostring(op))
  end
end

function request()
  return builders[op]()
end

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  io.write(string.format(
    '{"requests": %d, "duration_s": %.3f, "rps": %.1f, "p50_ms": %.3f, "p99_ms": %.3f, "errors": %d, "status_errors": %d, ' ..
    '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors, e.status,
    e.connect, e.read, e.write, e.timeout))
end

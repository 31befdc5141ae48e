'use strict';
// A DIMSE SCU on dcmjs-dimse for the Gateway tests: one association, the requests of a JSON file in order, one JSON
// line per response on stdout; requests the peer sends on the same association are printed and answered. See README.md.
//   node scu.js --host H --port P --called AET --calling AET --requests JSON|FILE [--timeout MS]
// Exit 0: every request was sent and answered (whatever its status) and the expected peer requests came;
// 1: refused, rejected, aborted, timed out, a request had no accepted presentation context; 2: bad usage.

const lib = require('./lib');

const { dimse } = lib;
const { SopClass } = dimse.constants;
const Rq = dimse.requests;
const R = dimse.responses;

const StorageCommitmentInstance = '1.2.840.10008.1.20.1.1';
const DefaultSopClass = {
  'C-ECHO': SopClass.Verification,
  'C-FIND': SopClass.ModalityWorklistInformationModelFind,
  'N-CREATE': SopClass.ModalityPerformedProcedureStep,
  'N-SET': SopClass.ModalityPerformedProcedureStep,
  'N-GET': SopClass.ModalityPerformedProcedureStep,
  'N-DELETE': SopClass.ModalityPerformedProcedureStep,
  'N-ACTION': SopClass.StorageCommitmentPushModel,
  'N-EVENT-REPORT': SopClass.StorageCommitmentPushModel,
};

const args = lib.parseArgs(process.argv.slice(2), ['host', 'port', 'called', 'calling', 'requests']);
let file;
try {
  file = lib.readJson(args.requests);
} catch (e) {
  lib.usage(`cannot read --requests: ${e.message}`);
}
if (Array.isArray(file)) file = { requests: file };
const print = lib.lineWriter(null);
const answers = file.answers || {};
let incoming = 0;
let incomingArrived = () => {};

function build(spec) {
  const name = spec.command;
  if (name === 'C-STORE') {
    // A Part 10 file, read whole; its SOP class and instance are the command's, its transfer syntax proposed first.
    if (!spec.file) lib.usage('C-STORE needs "file"');
    const ds = dimse.Dataset.fromFile(spec.file);
    const request = new Rq.CStoreRequest(ds);
    return { request, sopClass: request.getAffectedSopClassUid(), transferSyntax: ds.getTransferSyntaxUid() };
  }
  const sopClass = spec.sopClass || DefaultSopClass[name];
  if (!sopClass) lib.usage(`unknown command '${name}'`);
  const instance = spec.sopInstance;
  let request;
  switch (name) {
    case 'C-ECHO': request = new Rq.CEchoRequest(); break;
    case 'C-FIND': request = new Rq.CFindRequest(); request.setAffectedSopClassUid(sopClass); break;
    case 'N-CREATE': request = new Rq.NCreateRequest(sopClass, instance); break;
    case 'N-SET': request = new Rq.NSetRequest(sopClass, instance); break;
    case 'N-GET': request = new Rq.NGetRequest(sopClass, instance, (spec.attributes || []).map(lib.keywordOf)); break;
    case 'N-DELETE': request = new Rq.NDeleteRequest(sopClass, instance); break;
    case 'N-ACTION':
      request = new Rq.NActionRequest(sopClass, instance || StorageCommitmentInstance, spec.actionTypeId === undefined ? 1 : spec.actionTypeId);
      break;
    case 'N-EVENT-REPORT':
      request = new Rq.NEventReportRequest(sopClass, instance || StorageCommitmentInstance, spec.eventTypeId === undefined ? 1 : spec.eventTypeId);
      break;
    default: lib.usage(`unknown command '${name}'`);
  }
  if (name === 'N-CREATE' && !instance) {
    // PS3.7 10.3.5: the Affected SOP Instance UID may be left out for the SCP to choose; do not send it empty.
    delete request.getCommandDataset().getElements().AffectedSOPInstanceUID;
  }
  if (spec.dataset) request.setDataset(lib.dataset(spec.dataset));
  return { request, sopClass };
}

/** One presentation context per SOP class the requests need, plus file.contexts; roles from file.roles. */
function contextsFor(built) {
  const bySop = new Map();
  const add = (sopClass, transferSyntaxes, roles) => {
    if (!bySop.has(sopClass)) bySop.set(sopClass, { sopClass, transferSyntaxes: transferSyntaxes || file.transferSyntaxes, roles });
  };
  for (const c of file.contexts || []) add(c.sopClass, c.transferSyntaxes, c.roles);
  for (const b of built) add(b.sopClass, b.transferSyntax ? [b.transferSyntax, ...lib.DefaultTransferSyntaxes.filter(t => t !== b.transferSyntax)] : undefined);
  for (const [sopClass, roles] of Object.entries(file.roles || {})) {
    add(sopClass);
    bySop.get(sopClass).roles = roles;
  }
  return [...bySop.values()];
}

function fail(message, code) {
  print({ event: 'error', message });
  process.exit(code || 1);
}

function peerRequest(endpoint, req, reply) {
  const entry = lib.describe(req);
  const configured = answers[entry.command] || {};
  const Response = {
    'N-EVENT-REPORT': R.NEventReportResponse, 'C-STORE': R.CStoreResponse, 'C-ECHO': R.CEchoResponse,
    'N-CREATE': R.NCreateResponse, 'N-SET': R.NSetResponse, 'N-ACTION': R.NActionResponse, 'N-GET': R.NGetResponse,
  }[entry.command];
  const response = Response.fromRequest(req);
  response.setStatus(lib.parseStatus(configured.status, 0));
  entry.status = response.getStatus();
  print(Object.assign({ event: 'request' }, entry));
  reply(response);
  incoming++;
  incomingArrived();
}

async function main() {
  const built = (file.requests || []).map(build);
  setTimeout(() => fail(`timed out after ${args.timeout || 30000} ms`), Number(args.timeout || 30000)).unref();
  let endpoint;
  try {
    endpoint = await lib.connect({
      host: args.host,
      port: Number(args.port),
      callingAet: args.calling,
      calledAet: args.called,
      contexts: contextsFor(built),
      handlers: {
        request: peerRequest,
        aborted: (_, source, reason) => fail(`association aborted by the peer (source ${source}, reason ${reason})`),
        closed: () => fail('connection closed before the association was released'),
      },
    });
  } catch (e) {
    if (e.rejection) {
      print({ event: 'rejected', ...e.rejection });
      process.exit(1);
    }
    fail(e.message);
  }
  print({ event: 'association', contexts: lib.describeContexts(endpoint.association) });
  let unsent = 0;
  for (const { request } of built) {
    if (!endpoint.association.getAcceptedPresentationContextFromRequest(request)) {
      // dcmjs-dimse would skip it silently and never signal its end.
      print(lib.describe(request, { event: 'not-sent', reason: 'no accepted presentation context' }));
      unsent++;
      continue;
    }
    const responses = await lib.send(endpoint, request);
    for (const r of responses) print(lib.describe(r, { event: 'response' }));
  }
  const expected = file.expectRequests || 0;
  if (incoming < expected) {
    const arrived = await new Promise(resolve => {
      const timer = setTimeout(() => resolve(false), file.waitMs || 10000);
      incomingArrived = () => {
        if (incoming >= expected) {
          clearTimeout(timer);
          resolve(true);
        }
      };
    });
    if (!arrived) {
      print({ event: 'error', message: `${incoming} of ${expected} expected requests from the peer arrived` });
      unsent++;
    }
  }
  endpoint.removeAllListeners('close');
  const released = await lib.release(endpoint);
  print({ event: released ? 'released' : 'closed' });
  process.exit(unsent === 0 && released ? 0 : 1);
}

main().catch(e => fail(e.stack || e.message));

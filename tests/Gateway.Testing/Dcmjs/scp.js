'use strict';
// A DIMSE SCP on dcmjs-dimse for the Gateway tests: MPPS, Storage Commitment (with its N-EVENT-REPORT on the same or a
// new association), Modality Worklist FIND and Verification. One JSON line per event in --log. See README.md.
//   node scp.js --port P --aet AET [--log FILE] [--config JSON|FILE]

const lib = require('./lib');

const { dimse } = lib;
const { Dataset } = dimse;
const { SopClass, PresentationContextResult, RejectResult, RejectSource, RejectReason, Status } = dimse.constants;
const R = dimse.responses;
const { NEventReportRequest } = dimse.requests;

const StorageCommitment = SopClass.StorageCommitmentPushModel;
const StorageCommitmentInstance = '1.2.840.10008.1.20.1.1';
const Supported = new Set([
  SopClass.Verification,
  SopClass.ModalityPerformedProcedureStep,
  StorageCommitment,
  SopClass.ModalityWorklistInformationModelFind,
]);

const args = lib.parseArgs(process.argv.slice(2), ['port', 'aet']);
const config = args.config ? lib.readJson(args.config) : {};
const log = lib.lineWriter(args.log);
const allowed = config.allowedCallingAets && config.allowedCallingAets.length ? new Set(config.allowedCallingAets) : null;
// SOP Instance UID -> naturalized attributes: what N-CREATE made and N-SET changed, for N-GET.
const instances = new Map();

function associationRequested(endpoint, association) {
  const calling = association.getCallingAeTitle();
  const called = association.getCalledAeTitle();
  endpoint.callingAet = calling;
  if (called !== args.aet || (allowed && !allowed.has(calling))) {
    const reason = called !== args.aet ? RejectReason.CalledAeNotRecognized : RejectReason.CallingAeNotRecognized;
    log({ event: 'association-rejected', callingAet: calling, calledAet: called, reason });
    endpoint.sendAssociationReject(RejectResult.Permanent, RejectSource.ServiceUser, reason);
    return;
  }
  for (const { id } of association.getPresentationContexts()) {
    const context = association.getPresentationContext(id);
    // The requestor's order decides among the syntaxes accepted (config.transferSyntaxes, default both uncompressed).
    const ts = context.getTransferSyntaxUids().find(t => (config.transferSyntaxes || lib.AcceptedTransferSyntaxes).includes(t));
    // config.acceptStorage: also a storage SCP (every Storage SOP class, answered success), as an archive is.
    const storage = config.acceptStorage === true && context.getAbstractSyntaxUid().startsWith('1.2.840.10008.5.1.4.1.1.');
    if (!Supported.has(context.getAbstractSyntaxUid()) && !storage) context.setResult(PresentationContextResult.RejectAbstractSyntaxNotSupported);
    else if (!ts) context.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
    else context.setResult(PresentationContextResult.Accept, ts);
    answerRoles(context);
  }
  // One operation at a time, said by leaving the item out (PS3.7 D.3.3.3: absent means 1/1); dcmjs-dimse would echo
  // back whatever window the requestor proposed.
  association.setNegotiateAsyncOps(false);
  log({ event: 'association', callingAet: calling, calledAet: called, contexts: lib.describeContexts(association) });
  endpoint.sendAssociationAccept();
}

// PS3.7 D.3.3.4: the acceptor answers each proposed role with 1 only when it was proposed and is accepted; a SOP class
// proposed without a role selection item gets none back (default roles). config.roles narrows what is accepted.
function answerRoles(context) {
  if (context.getUserRole() === undefined && context.getProviderRole() === undefined) return;
  if (context.getResult() !== PresentationContextResult.Accept) {
    context.setUserRole(undefined);
    context.setProviderRole(undefined);
    return;
  }
  const accept = (config.roles || {})[context.getAbstractSyntaxUid()] || { scu: true, scp: true };
  context.setUserRole(context.getUserRole() === true && accept.scu !== false);
  context.setProviderRole(context.getProviderRole() === true && accept.scp !== false);
}

function request(endpoint, req, reply) {
  const entry = lib.describe(req, { callingAet: endpoint.callingAet });
  const name = entry.command;
  const configured = config[name] || {};
  const responses = respond(req, name, configured, entry);
  entry.status = responses[responses.length - 1].getStatus();
  log(Object.assign({ event: 'request' }, entry));
  const answer = () => {
    if (configured.abort) {
      endpoint.sendAbort();
      endpoint.socket.end();
      return;
    }
    reply(name === 'C-FIND' ? responses : responses[0]);
    if (name === 'N-ACTION' && entry.sopClass === StorageCommitment && entry.actionTypeId === 1 && entry.status === Status.Success) {
      commit(endpoint, req);
    }
  };
  if (configured.delayMs) setTimeout(answer, configured.delayMs);
  else answer();
}

/** The response(s) a request gets: the configured status (success by default) and data set. */
function respond(req, name, configured, entry) {
  const status = lib.parseStatus(configured.status, Status.Success);
  const finish = (response, defaultDataset) => {
    response.setStatus(status);
    if (configured.errorComment) response.setErrorComment(configured.errorComment);
    const ds = configured.dataset ? lib.dataset(configured.dataset) : defaultDataset;
    if (ds) response.setDataset(ds);
    return [response];
  };
  switch (name) {
    case 'C-ECHO':
      return finish(R.CEchoResponse.fromRequest(req));
    case 'N-CREATE': {
      const response = R.NCreateResponse.fromRequest(req);
      // PS3.7 10.1.5.1: when the requestor left the SOP Instance UID out, the SCP chooses it and returns it.
      const uid = entry.sopInstance || Dataset.generateDerivedUid();
      response.setAffectedSopInstanceUid(uid);
      // As an MPPS SCP does: a second N-CREATE of an instance it holds is 0111 Duplicate SOP Instance (unless configured).
      const duplicate = configured.status === undefined && instances.has(uid);
      if (status === Status.Success && !duplicate) instances.set(uid, stripVrMap(req.hasDataset() ? req.getDataset().getElements() : {}));
      const answered = finish(response);
      if (duplicate) response.setStatus(0x0111);
      return answered;
    }
    case 'N-SET': {
      const response = R.NSetResponse.fromRequest(req);
      if (status === Status.Success && req.hasDataset()) {
        instances.set(entry.sopInstance, Object.assign(instances.get(entry.sopInstance) || {}, stripVrMap(req.getDataset().getElements())));
      }
      return finish(response);
    }
    case 'N-GET': {
      const response = R.NGetResponse.fromRequest(req);
      const stored = instances.get(entry.sopInstance);
      if (!stored && configured.status === undefined) {
        // Nothing was created under that UID: PS3.7 10.1.2.1.6 "no such object instance".
        response.setStatus(Status.NoSuchObjectInstance);
        return [response];
      }
      const wanted = req.getAttributeIdentifierList();
      const picked = {};
      for (const [k, v] of Object.entries(stored || {})) if (wanted.length === 0 || wanted.includes(k)) picked[k] = v;
      return finish(response, new Dataset(picked, dimse.constants.TransferSyntax.ImplicitVRLittleEndian));
    }
    case 'N-ACTION':
      return finish(R.NActionResponse.fromRequest(req));
    case 'N-EVENT-REPORT':
      return finish(R.NEventReportResponse.fromRequest(req));
    case 'N-DELETE':
      return finish(R.NDeleteResponse.fromRequest(req));
    case 'C-FIND': {
      const pending = (configured.matches || []).map(m => {
        const p = R.CFindResponse.fromRequest(req);
        p.setStatus(Status.Pending);
        p.setDataset(lib.dataset(m));
        return p;
      });
      return [...pending, ...finish(R.CFindResponse.fromRequest(req))];
    }
    case 'C-STORE':
      return finish(R.CStoreResponse.fromRequest(req));
    default:
      return finish(R.NSetResponse.fromRequest(req));
  }
}

function stripVrMap(elements) {
  const copy = { ...elements };
  delete copy._vrMap;
  return copy;
}

/**
 * Storage commitment (PS3.4 J.3.3): the N-EVENT-REPORT for a committed N-ACTION, event type 1 when every instance is
 * committed and 2 when some failed (config.commitment.failedSopInstances, or failAll), with the request's Transaction UID.
 */
function commit(endpoint, actionRequest) {
  const c = config.commitment || {};
  const mode = c.report || 'none';
  if (mode === 'none') return;
  const action = actionRequest.hasDataset() ? actionRequest.getDataset().getElements() : {};
  const refs = [].concat(action.ReferencedSOPSequence || []);
  const failed = new Set(c.failedSopInstances || []);
  const isFailed = r => c.failAll === true || failed.has(r.ReferencedSOPInstanceUID);
  const item = r => ({ ReferencedSOPClassUID: r.ReferencedSOPClassUID, ReferencedSOPInstanceUID: r.ReferencedSOPInstanceUID });
  const ok = refs.filter(r => !isFailed(r)).map(item);
  const bad = refs.filter(isFailed).map(r => ({ ...item(r), FailureReason: lib.parseStatus(c.failureReason, 0x0112) }));
  const elements = { TransactionUID: action.TransactionUID };
  if (ok.length) elements.ReferencedSOPSequence = ok;
  if (bad.length) elements.FailedSOPSequence = bad;
  const eventType = bad.length ? 2 : 1;
  const makeReport = () => {
    const report = new NEventReportRequest(StorageCommitment, StorageCommitmentInstance, eventType);
    report.setDataset(new Dataset(elements, dimse.constants.TransferSyntax.ImplicitVRLittleEndian));
    return report;
  };
  setTimeout(() => {
    if (mode === 'same-association') sendReport(endpoint, makeReport(), 'same');
    else if (mode === 'new-association') reportOnNewAssociation(endpoint, c, makeReport());
    else log({ event: 'error', message: `unknown commitment.report '${mode}'` });
  }, c.delayMs || 0);
}

async function sendReport(endpoint, report, association) {
  // Logged before it goes out too: the archive answers for the instances from the moment it reports them, and a
  // modality killed after recording the report but before answering it leaves this send without an end.
  log(lib.describe(report, { event: 'issued', association, status: null, messageId: report.getMessageId() }));
  const responses = await lib.send(endpoint, report);
  const response = responses[responses.length - 1];
  log(lib.describe(report, {
    event: 'sent',
    association,
    status: response ? response.getStatus() : null,
    messageId: report.getMessageId(),
  }));
}

/** As an archive does: a new association to the modality, proposing Storage Commitment with itself as SCP (PS3.4 J.3.3). */
async function reportOnNewAssociation(from, c, report) {
  const cb = c.callback || {};
  const target = { host: cb.host || '127.0.0.1', port: cb.port, callingAet: args.aet, calledAet: cb.aet || from.callingAet };
  try {
    const endpoint = await lib.connect({
      ...target,
      contexts: [{ sopClass: StorageCommitment, roles: { scu: false, scp: true } }],
      handlers: { request: (_, r, reply) => reply(R.NEventReportResponse.fromRequest(r)) },
    });
    log({ event: 'association-opened', ...target, contexts: lib.describeContexts(endpoint.association) });
    await sendReport(endpoint, report, 'new');
    await lib.release(endpoint);
  } catch (e) {
    log(lib.describe(report, { event: 'sent', association: 'new', status: null, error: e.message, messageId: null }));
  }
}

lib.listen(Number(args.port), {
  associationRequested,
  request,
  released: () => log({ event: 'released' }),
  aborted: (_, source, reason) => log({ event: 'aborted', source, reason }),
  networkError: (_, e) => log({ event: 'network-error', message: e.message }),
}, port => process.stdout.write(`listening on 127.0.0.1:${port} as ${args.aet}\n`));

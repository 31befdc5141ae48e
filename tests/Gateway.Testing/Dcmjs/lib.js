'use strict';
// Shared by scp.js and scu.js: DICOM JSON (PS3.18 Annex F) <-> dcmjs "naturalized" data sets, the JSON form of
// DIMSE messages printed and logged, and one dcmjs-dimse network endpoint usable in both roles.

const net = require('net');
const fs = require('fs');
const dcmjs = require('dcmjs');
const dimse = require('dcmjs-dimse');

const { Dataset, Scp } = dimse;
const { Association } = dimse.association;
const { DicomMetaDictionary } = dcmjs.data;
const { TransferSyntax } = dimse.constants;

// dcmjs-dimse logs through loglevel to the console; stdout belongs to our JSON lines.
dimse.log.setLevel(process.env.DCMJS_DIMSE_LOG || 'error');

const DefaultTransferSyntaxes = [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian];
const AcceptedTransferSyntaxes = [TransferSyntax.ImplicitVRLittleEndian, TransferSyntax.ExplicitVRLittleEndian];

// PS3.7 Annex E command field values.
const CommandNames = {
  0x0030: 'C-ECHO', 0x8030: 'C-ECHO',
  0x0020: 'C-FIND', 0x8020: 'C-FIND',
  0x0001: 'C-STORE', 0x8001: 'C-STORE',
  0x0100: 'N-EVENT-REPORT', 0x8100: 'N-EVENT-REPORT',
  0x0110: 'N-GET', 0x8110: 'N-GET',
  0x0120: 'N-SET', 0x8120: 'N-SET',
  0x0130: 'N-ACTION', 0x8130: 'N-ACTION',
  0x0140: 'N-CREATE', 0x8140: 'N-CREATE',
  0x0150: 'N-DELETE', 0x8150: 'N-DELETE',
  0x0FFF: 'C-CANCEL',
};

const NumberVrs = new Set(['IS', 'DS', 'US', 'SS', 'UL', 'SL', 'FL', 'FD', 'UV', 'SV']);

/** DICOM JSON (keys "GGGGEEEE") -> the keyword object dcmjs-dimse's Dataset takes. */
function naturalize(dicomJson) {
  if (dicomJson === undefined || dicomJson === null) return undefined;
  return DicomMetaDictionary.naturalizeDataset(upperKeys(dicomJson));
}

function upperKeys(json) {
  const out = {};
  for (const [tag, element] of Object.entries(json)) {
    const e = { ...element };
    if (e.vr === 'SQ' && Array.isArray(e.Value)) e.Value = e.Value.map(upperKeys);
    out[tag.toUpperCase()] = e;
  }
  return out;
}

/** A dcmjs-dimse Dataset (or naturalized object) -> DICOM JSON as PS3.18 F writes it (numbers as numbers, no empty Value). */
function toDicomJson(datasetOrElements) {
  if (!datasetOrElements) return null;
  const elements = datasetOrElements instanceof Dataset ? datasetOrElements.getElements() : datasetOrElements;
  return tidy(DicomMetaDictionary.denaturalizeDataset(elements));
}

function tidy(json) {
  const out = {};
  for (const tag of Object.keys(json).sort()) {
    const { vr } = json[tag];
    let value = json[tag].Value;
    const element = { vr };
    if (value !== null && value !== undefined && !Array.isArray(value)) value = [value];
    if (vr === 'SQ' && value) value = value.map(tidy);
    else if (NumberVrs.has(vr) && value) value = value.map(v => (v === '' || v === null || isNaN(Number(v)) ? v : Number(v)));
    else if (vr === 'PN' && value) value = value.map(v => (typeof v === 'string' ? { Alphabetic: v } : v));
    if (value && value.length > 0 && value.some(v => v instanceof ArrayBuffer || ArrayBuffer.isView(v))) {
      element.InlineBinary = Buffer.concat(value.map(v => Buffer.from(v instanceof ArrayBuffer ? v : v.buffer))).toString('base64');
    } else if (value && value.length > 0) {
      element.Value = value;
    }
    out[tag] = element;
  }
  return out;
}

function dataset(dicomJson) {
  const n = naturalize(dicomJson);
  return n === undefined ? undefined : new Dataset(n, TransferSyntax.ImplicitVRLittleEndian);
}

/** "GGGGEEEE" -> the dictionary keyword dcmjs-dimse wants in an N-GET attribute identifier list. */
function keywordOf(tag) {
  const key = `(${tag.slice(0, 4)},${tag.slice(4, 8)})`.toUpperCase();
  const entry = DicomMetaDictionary.dictionary[key];
  if (!entry) throw new Error(`unknown tag ${tag} in an attribute identifier list`);
  return entry.name;
}

function tagOf(keyword) {
  const entry = DicomMetaDictionary.nameMap[keyword];
  return entry ? entry.tag.replace(/[(),]/g, '').toUpperCase() : keyword;
}

/** A status written as a number (272) or as hex text ("0x0110", "0110"). */
function parseStatus(value, fallback) {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'number') return value;
  const s = String(value).trim();
  return parseInt(s.replace(/^0x/i, ''), 16);
}

/** One DIMSE message (request or response) as a JSON object for the log and stdout. */
function describe(message, extra) {
  const command = message.getCommandDataset();
  const field = message.getCommandFieldType();
  const out = {
    command: CommandNames[field] || `0x${field.toString(16)}`,
    sopClass: command.getElement('AffectedSOPClassUID') || command.getElement('RequestedSOPClassUID') || null,
    sopInstance: command.getElement('AffectedSOPInstanceUID') || command.getElement('RequestedSOPInstanceUID') || null,
  };
  if (field & 0x8000) {
    out.messageIdBeingRespondedTo = command.getElement('MessageIDBeingRespondedTo');
    out.status = command.getElement('Status');
    const comment = command.getElement('ErrorComment');
    if (comment) out.errorComment = comment;
  } else {
    out.messageId = command.getElement('MessageID');
  }
  const actionType = command.getElement('ActionTypeID');
  if (actionType !== undefined) out.actionTypeId = actionType;
  const eventType = command.getElement('EventTypeID');
  if (eventType !== undefined) out.eventTypeId = eventType;
  const attributes = command.getElement('AttributeIdentifierList');
  if (Array.isArray(attributes)) out.attributeIdentifiers = attributes.map(a => (a >>> 0).toString(16).toUpperCase().padStart(8, '0'));
  out.dataset = message.hasDataset() ? toDicomJson(message.getDataset()) : null;
  const { event, ...rest } = extra || {};
  return Object.assign(event ? { event } : {}, out, rest);
}

/** Appends JSON lines to a file (each line one write, so a reader never sees half a line but the last) or stdout. */
function lineWriter(file) {
  // `at`: when it happened (ms since the epoch), for waits measured across the peers (scripts/bench.sh commitment).
  const line = obj => JSON.stringify(Object.assign({}, obj, { at: Date.now() })) + '\n';
  if (file) return obj => fs.appendFileSync(file, line(obj));
  return obj => process.stdout.write(line(obj));
}

function describeContexts(association) {
  return association.getPresentationContexts().map(({ id, context }) => {
    const roles = context.getUserRole() === undefined && context.getProviderRole() === undefined
      ? null
      : { scu: context.getUserRole() === true, scp: context.getProviderRole() === true };
    const accepted = context.getResult() === dimse.constants.PresentationContextResult.Accept;
    return {
      id,
      sopClass: context.getAbstractSyntaxUid(),
      accepted,
      transferSyntax: accepted ? context.getAcceptedTransferSyntaxUid() || null : null,
      roles,
    };
  });
}

/**
 * One end of an association, requestor or acceptor: dcmjs-dimse's Scp is its Network with a method per incoming
 * request, so it serves both roles (its Client cannot propose SCP/SCU role selection items; this can).
 * `handlers.request(request, reply)` answers every incoming DIMSE request.
 */
class Endpoint extends Scp {
  constructor(socket, opts) {
    super(socket, opts);
    this.handlers = opts.customOptions;
  }

  // dcmjs-dimse 0.3.3 keeps its command buffer after a command without a data set, so the next command is read
  // together with the previous one and inherits the elements it lacks (an N-ACTION response carried the ErrorComment
  // of the N-SET response before it; an N-EVENT-REPORT the ActionTypeID of the N-ACTION): start each command afresh.
  _performDimse(context, dimse) {
    if (!dimse.hasDataset()) this.dimseStream = undefined;
    super._performDimse(context, dimse);
  }

  associationRequested(association) { this.handlers.associationRequested(this, association); }
  associationReleaseRequested() {
    this.sendAssociationReleaseResponse();
    if (this.handlers.released) this.handlers.released(this);
  }
  cEchoRequest(r, cb) { this.handlers.request(this, r, cb); }
  cFindRequest(r, cb) { this.handlers.request(this, r, cb); }
  cStoreRequest(r, cb) { this.handlers.request(this, r, cb); }
  cMoveRequest(r, cb) { this.handlers.request(this, r, cb); }
  cGetRequest(r, cb) { this.handlers.request(this, r, cb); }
  nCreateRequest(r, cb) { this.handlers.request(this, r, cb); }
  nActionRequest(r, cb) { this.handlers.request(this, r, cb); }
  nDeleteRequest(r, cb) { this.handlers.request(this, r, cb); }
  nEventReportRequest(r, cb) { this.handlers.request(this, r, cb); }
  nGetRequest(r, cb) { this.handlers.request(this, r, cb); }
  nSetRequest(r, cb) { this.handlers.request(this, r, cb); }
  cCancelRequest(r) { if (this.handlers.cancel) this.handlers.cancel(this, r); }
  abort(source, reason) { if (this.handlers.aborted) this.handlers.aborted(this, source, reason); }
}

const Timeouts = { connectTimeout: 10000, associationTimeout: 30000, pduTimeout: 120000 };

/** Accepts associations on 127.0.0.1:port; `handlers` as for Endpoint. */
function listen(port, handlers, onListening) {
  const server = net.createServer(socket => {
    const endpoint = new Endpoint(socket, { ...Timeouts, customOptions: handlers });
    endpoint.connected = true; // an accepted socket never raises 'connect'
    endpoint.on('networkError', e => {
      socket.destroy();
      if (handlers.networkError) handlers.networkError(endpoint, e);
    });
  });
  server.on('error', e => {
    process.stderr.write(`listen failed: ${e.message}\n`);
    process.exit(1);
  });
  server.listen(port, '127.0.0.1', () => onListening(server.address().port));
  return server;
}

/**
 * Opens an association to host:port. contexts: [{ sopClass, transferSyntaxes?, roles?: { scu, scp } }] (one
 * presentation context per SOP class). Resolves with the Endpoint once accepted; rejects on refusal, reject or abort.
 * The proposed roles are cleared once the A-ASSOCIATE-RQ is written, so after the accept each context's roles are
 * exactly what the acceptor answered (null when it sent no role selection item).
 */
function connect({ host, port, callingAet, calledAet, contexts, handlers }) {
  return new Promise((resolve, reject) => {
    const association = new Association(callingAet, calledAet);
    for (const c of contexts) {
      const id = association.addPresentationContext(c.sopClass);
      for (const ts of c.transferSyntaxes || DefaultTransferSyntaxes) association.addTransferSyntaxToPresentationContext(id, ts);
      if (c.roles) {
        association.getPresentationContext(id).setUserRole(c.roles.scu === true);
        association.getPresentationContext(id).setProviderRole(c.roles.scp === true);
      }
    }
    const socket = net.connect({ host, port });
    const endpoint = new Endpoint(socket, { ...Timeouts, customOptions: handlers });
    let settled = false;
    const fail = e => {
      if (!settled) {
        settled = true;
        reject(e);
      }
    };
    endpoint.on('connect', () => {
      endpoint.sendAssociationRequest(association);
      for (const { context } of association.getPresentationContexts()) {
        context.setUserRole(undefined);
        context.setProviderRole(undefined);
      }
    });
    endpoint.on('associationAccepted', () => {
      settled = true;
      resolve(endpoint);
    });
    endpoint.on('associationRejected', r => {
      socket.end();
      fail(Object.assign(new Error(`association rejected (result ${r.result}, source ${r.source}, reason ${r.reason})`), { rejection: r }));
    });
    endpoint.on('networkError', e => {
      socket.destroy();
      fail(e);
      if (handlers.networkError) handlers.networkError(endpoint, e);
    });
    endpoint.on('close', () => {
      fail(new Error('connection closed before the association was accepted'));
      if (handlers.closed) handlers.closed(endpoint);
    });
  });
}

/** Sends one request on an established association; resolves with every response (C-FIND: pending ones, then final). */
function send(endpoint, request) {
  return new Promise(resolve => {
    const responses = [];
    request.on('response', r => responses.push(r));
    request.on('done', () => resolve(responses));
    endpoint.sendRequests(request);
  });
}

/** Waits for the A-RELEASE-RP (or the end of the connection). */
function release(endpoint) {
  return new Promise(resolve => {
    endpoint.once('associationReleaseResponse', () => {
      endpoint.socket.end();
      resolve(true);
    });
    endpoint.once('close', () => resolve(false));
    endpoint.sendAssociationReleaseRequest();
  });
}

/** --name value pairs; flags listed in `booleans` take no value. */
function parseArgs(argv, required) {
  const args = {};
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) usage(`bad argument '${argv[i]}'`);
    args[argv[i].slice(2)] = argv[++i];
  }
  for (const r of required) if (args[r] === undefined) usage(`--${r} is required`);
  return args;
}

function usage(message) {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

/** A JSON argument: inline text when it starts with '{' or '[', else a file name. */
function readJson(value) {
  const text = /^\s*[[{]/.test(value) ? value : fs.readFileSync(value, 'utf8');
  return JSON.parse(text);
}

module.exports = {
  dimse, AcceptedTransferSyntaxes, DefaultTransferSyntaxes, CommandNames,
  naturalize, toDicomJson, dataset, keywordOf, tagOf, parseStatus, describe, describeContexts, lineWriter,
  Endpoint, listen, connect, send, release, parseArgs, usage, readJson,
};

#!/usr/bin/env node
// Checks that every line of the given files is an OTLP export request in the protobuf JSON
// mapping (what the Collector's otlpjsonfile receiver reads): known fields only, values of the
// right type, ids in hex. Uses the .proto files shipped with @elastic/mockotlpserver.
// Prints "ok N" per file, or the first problem and exits 1.
'use strict';
const fs = require('fs');
const path = require('path');
const protobuf = require('protobufjs');

const protoDir = path.join(__dirname, 'node_modules/@elastic/mockotlpserver');
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(protoDir, target));
root.loadSync([
    'opentelemetry/proto/collector/trace/v1/trace_service.proto',
    'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
    'opentelemetry/proto/collector/logs/v1/logs_service.proto',
]);
root.resolveAll();

const requests = {
    resourceSpans: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
    resourceMetrics: root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest'),
    resourceLogs: root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest'),
};
const hexIds = new Set(['traceId', 'spanId', 'parentSpanId']);
const int64 = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const int32 = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);

function check(type, value, where) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new Error(`${where}: expected a ${type.name} object`);
    }
    for (const [key, v] of Object.entries(value)) {
        const field = type.fields[key];
        if (!field) {
            throw new Error(`${where}: ${type.name} has no field "${key}"`);
        }
        const items = field.repeated ? v : [v];
        if (field.repeated && !Array.isArray(v)) {
            throw new Error(`${where}.${key}: expected an array`);
        }
        items.forEach((item, i) => checkValue(field, item, field.repeated ? `${where}.${key}[${i}]` : `${where}.${key}`));
    }
}

function checkValue(field, v, where) {
    if (hexIds.has(field.name)) {
        if (typeof v !== 'string' || !/^([0-9a-f]{2})*$/.test(v) || (field.name === 'traceId' ? v.length !== 32 : v.length !== 16)) {
            throw new Error(`${where}: expected a lowercase hex id, got ${JSON.stringify(v)}`);
        }
        return;
    }
    if (field.resolvedType instanceof protobuf.Type) {
        return check(field.resolvedType, v, where);
    }
    if (field.resolvedType instanceof protobuf.Enum) {
        if (!(Number.isInteger(v) || (typeof v === 'string' && v in field.resolvedType.values))) {
            throw new Error(`${where}: not a ${field.resolvedType.name} value: ${JSON.stringify(v)}`);
        }
        return;
    }
    const ok = int64.has(field.type) ? (typeof v === 'string' && /^-?\d+$/.test(v)) || Number.isSafeInteger(v)
        : int32.has(field.type) ? Number.isInteger(v)
        : field.type === 'double' || field.type === 'float' ? typeof v === 'number' || ['NaN', 'Infinity', '-Infinity'].includes(v)
        : field.type === 'bool' ? typeof v === 'boolean'
        : field.type === 'string' ? typeof v === 'string'
        : field.type === 'bytes' ? typeof v === 'string'
        : false;
    if (!ok) {
        throw new Error(`${where}: ${JSON.stringify(v)} is not a valid ${field.type}`);
    }
}

let failed = false;
for (const file of process.argv.slice(2)) {
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
    try {
        lines.forEach((line, i) => {
            const request = JSON.parse(line);
            const kinds = Object.keys(request).filter((k) => k in requests);
            if (kinds.length !== 1 || Object.keys(request).length !== 1) {
                throw new Error(`line ${i + 1}: expected exactly one of ${Object.keys(requests).join(', ')}`);
            }
            check(requests[kinds[0]], request, `line ${i + 1}`);
        });
        console.log(`ok ${lines.length} ${file}`);
    } catch (e) {
        console.log(`${file}: ${e.message}`);
        failed = true;
    }
}
process.exit(failed ? 1 : 0);

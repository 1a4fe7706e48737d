#!/usr/bin/env node
// The OTLP receiver on one gRPC port of loopback (mockotlpserver's own command line has fixed
// ports): prints every export request it receives as one normalized JSON line, as `-o json` does,
// and "listening" on stderr once it accepts connections. Usage: node serve.js PORT
'use strict';
const {MockOtlpServer} = require('@elastic/mockotlpserver');
const {jsonStringifyTrace, jsonStringifyMetrics, jsonStringifyLogs} = require('@elastic/mockotlpserver/lib/normalize');

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    console.error('usage: node serve.js PORT');
    process.exit(2);
}

const options = {normAttributes: true};
const server = new MockOtlpServer({
    logLevel: 'warn',
    services: ['grpc'],
    grpcHostname: '127.0.0.1',
    grpcPort: port,
    onTrace: (trace) => console.log(jsonStringifyTrace(trace, options)),
    onMetrics: (metrics) => console.log(jsonStringifyMetrics(metrics, options)),
    onLogs: (logs) => console.log(jsonStringifyLogs(logs, options)),
});
server.start().then(
    () => console.error(`listening at ${server.grpcUrl}`),
    (err) => {
        console.error(`serve.js: cannot listen on 127.0.0.1:${port}: ${err.message}`);
        process.exit(1);
    });

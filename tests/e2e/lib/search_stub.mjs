// A SearXNG-shaped search server for the web search tests: GET /search?q=...&format=json
// answers SearXNG's JSON ({query, number_of_results, results:[{url,title,content,
// publishedDate,engine,score}], answers, infoboxes, suggestions, unresponsive_engines}) from a
// table of canned results keyed by a word of the query; every query is recorded. Without
// format=json it answers 403, as SearXNG does when JSON is not enabled in settings.yml.
//
//   const s = await startSearchStub({ results: { kangaroo: [{url, title, content, publishedDate}] } });
//   s.url  -> http://127.0.0.1:PORT ; s.queries() -> [{q, format, ...}] ; await s.close();
import http from 'node:http';

export async function startSearchStub({ results = {}, status = 200 } = {}) {
  const queries = [];
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    if (u.pathname !== '/search') { res.writeHead(404); res.end('not found'); return; }
    const params = Object.fromEntries(u.searchParams.entries());
    queries.push(params);
    if (params.format !== 'json' || status === 403) { res.writeHead(403, { 'content-type': 'text/html' }); res.end('<h1>403 Forbidden</h1>'); return; }
    if (status !== 200) { res.writeHead(status); res.end('error'); return; }
    const q = params.q ?? '';
    const key = Object.keys(results).find((k) => q.toLowerCase().includes(k.toLowerCase()));
    const hits = (key ? results[key] : []).map((r, i) => ({
      url: r.url, title: r.title, content: r.content ?? '', publishedDate: r.publishedDate ?? null,
      engine: 'duckduckgo', engines: ['duckduckgo'], positions: [i + 1], score: 1 / (i + 1), category: 'general',
    }));
    const body = { query: q, number_of_results: 0, results: hits, answers: [], corrections: [], infoboxes: [], suggestions: [], unresponsive_engines: [] };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    queries: () => queries.slice(),
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}

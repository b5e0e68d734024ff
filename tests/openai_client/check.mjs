// The official `openai` npm package against `aegaeon serve`: lists the models, completes a chat,
// streams a completion, and checks an error surfaces as the package's typed error.
// Usage: node check.mjs BASE_URL API_KEY [UNKNOWN_MODEL_STATUS]   (BASE_URL like
// http://127.0.0.1:8000/v1; the status an unknown model gets, default 404)
import OpenAI from 'openai';

const [baseURL, apiKey, unknownStatus = '404'] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
const fail = (msg) => { console.error('FAIL: ' + msg); process.exit(1); };

const models = [];
for await (const m of client.models.list()) models.push(m.id);
if (!models.includes('stories')) fail('models.list() lacks stories: ' + JSON.stringify(models));

const chat = await client.chat.completions.create({
  model: 'stories',
  messages: [{ role: 'user', content: 'Once upon a time' }],
  max_tokens: 16,
  temperature: 0,
});
const reply = chat.choices[0].message.content;
if (chat.choices[0].message.role !== 'assistant' || !reply.startsWith(', there was')) {
  fail('chat reply: ' + JSON.stringify(chat));
}
if (chat.usage.completion_tokens !== 16) fail('chat usage: ' + JSON.stringify(chat.usage));

const stream = await client.completions.create({
  model: 'stories', prompt: 'Once upon a time', max_tokens: 24, temperature: 0, stream: true,
});
let text = '';
let chunks = 0;
for await (const chunk of stream) {
  text += chunk.choices[0]?.text ?? '';
  chunks += 1;
}
if (chunks < 5 || !text.startsWith(', there was')) fail(`stream: ${chunks} chunks, ${JSON.stringify(text)}`);

try {
  await client.completions.create({ model: 'no-such-model', prompt: 'x' });
  fail('an unknown model did not throw');
} catch (e) {
  // A server answers 404; a cluster's proxy 503 (no live node serves it), both as error objects.
  const want = Number(unknownStatus);
  if (!(e instanceof OpenAI.APIError) || e.status !== want) fail(`unknown model: ${e} (want ${want})`);
  if (want === 404 && !(e instanceof OpenAI.NotFoundError)) fail('unknown model: ' + e);
  if (!String(e.message).includes('no-such-model')) fail('the error does not name the model: ' + e.message);
}
console.log(`ok: ${models.length} models, chat ${JSON.stringify(reply)}, ${chunks} streamed chunks`);

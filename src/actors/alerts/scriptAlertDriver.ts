// The Python program a SCRIPT alert runs in (python3 -c DRIVER FD). The original imports the
// alert script into the agent's own process; here each check gets a fresh interpreter that:
//   1. reads one JSON request on stdin: {path, moduleName, configurations, parameters,
//      hostName, tmpDir};
//   2. sets resource_management's Script.config to the configurations (when that library is
//      on PYTHONPATH) BEFORE importing the script, so that module-level calls such as
//      Script.get_stack_root() see them (the original sets it after the import and relies on
//      the previous alert's value);
//   3. imports the script from its path, asks get_tokens() (optional) and resolves each token
//      against the configurations with the `{{type/key}}` rule of base_alert.py, keeping only
//      the tokens that resolve;
//   4. calls execute(tokens, parameters, host_name), inside resource_management's Environment
//      when the path has a `...services...package` part (script_alert.py's rule);
//   5. writes ONE JSON line on fd FD: {"state": S, "texts": [str, ...]} or {"error": E,
//      "traceback": T}, and exits at once (os._exit: threads a script left do not hold it).
// The result fd is made non-inheritable first, so that processes the script starts cannot
// keep it open; whatever the script prints goes to stdout/stderr and never mixes with it.
// Kept as a string (tsc copies no .py files into dist/).
export const SCRIPT_ALERT_DRIVER = String.raw`
import importlib.util, json, logging, os, re, sys, traceback

result_out = os.fdopen(int(sys.argv[1]), 'w', encoding='utf-8')
os.set_inheritable(result_out.fileno(), False)
# python -c puts the working dir first on sys.path; the original's import did not add it.
if sys.path and sys.path[0] == '':
    del sys.path[0]

PLACEHOLDER = re.compile(r'{{(\S+?)}}')
SERVICE_PACKAGE = re.compile(r'((.*)services(.*)package)')


def lookup(configurations, key):
    if not key.startswith('/'):
        key = '/configurations/' + key
    value = configurations
    for part in [p for p in key.split('/') if p]:
        try:
            value = value[part]
        except (KeyError, TypeError, IndexError):
            return None
    return value


def resolve(configurations, token):
    if token is None:
        return None
    keys = PLACEHOLDER.findall(token)
    if not keys:
        return token
    resolved = token
    for key in keys:
        value = lookup(configurations, key)
        if value is None:
            return None
        if isinstance(value, dict):
            return value
        resolved = resolved.replace('{{%s}}' % key, value if isinstance(value, str) else str(value))
    return resolved


def load(path, name):
    if not name.isidentifier() or name in sys.modules:
        name = 'ambari_alert_script'
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def texts_of(texts):
    if isinstance(texts, str):
        return [texts]
    return [t if isinstance(t, str) else str(t) for t in texts]


def check(request):
    configurations = request['configurations']
    try:
        from resource_management.libraries.script.script import Script
        Script.config = configurations
    except ImportError:
        pass
    path = request['path']
    module = load(path, request['moduleName'])

    tokens = {}
    try:
        wanted = module.get_tokens()
        if wanted is not None:
            for token in wanted:
                value = resolve(configurations, token)
                if value is not None:
                    tokens[token] = value
    except AttributeError:
        pass  # no get_tokens(): the script gets no configurations

    arguments = (tokens, request['parameters'], request['hostName'])
    match = SERVICE_PACKAGE.match(path)
    environment = None
    if match:
        try:
            from resource_management.core.environment import Environment
            environment = Environment(match.group(1), tmp_dir=request['tmpDir'], logger=logging.getLogger('alerts'))
        except ImportError:
            pass
    if environment is not None:
        with environment:
            result = module.execute(*arguments)
    else:
        result = module.execute(*arguments)
    state, texts = result[0], result[1]
    return {'state': state if isinstance(state, str) else repr(state), 'texts': texts_of(texts)}


def main():
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    try:
        reply = check(json.load(sys.stdin))
    except BaseException as error:  # SystemExit too: the script's end is ours to report
        reply = {'error': str(error), 'traceback': traceback.format_exc()}
    try:
        line = json.dumps(reply, allow_nan=False)
    except (TypeError, ValueError) as error:
        line = json.dumps({'error': 'The result cannot be sent: %s' % error, 'traceback': ''})
    result_out.write(line + '\n')
    result_out.flush()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(0)


main()
`;

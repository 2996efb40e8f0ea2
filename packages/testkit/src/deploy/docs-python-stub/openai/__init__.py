"""A stand-in for the `openai` Python package, for the docs check only (PyPI is unreachable here).

It implements the part of openai-python's public API the user guide uses -- `OpenAI(base_url=,
api_key=)`, `client.chat.completions.create(...)` plain and streaming, `client.models.list()`, and the
error classes with `status_code`, `code`, `type`, `param`, `request_id` -- and sends the real HTTP
requests with urllib, shaped like the real client's (POST JSON to `{base_url}/chat/completions`,
`Authorization: Bearer`, SSE read until `data: [DONE]`). Answers become read-only objects: a field the
API may omit reads as None (as on openai-python's pydantic models), any other unknown attribute raises
AttributeError, so a typo in an example fails the check.
"""

import json
import os
import urllib.error
import urllib.request

__all__ = [
    "OpenAI",
    "OpenAIError",
    "APIError",
    "APIStatusError",
    "APIConnectionError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "RateLimitError",
    "InternalServerError",
]


class OpenAIError(Exception):
    pass


class APIError(OpenAIError):
    """As openai-python: `body` is the `error` object of the envelope; code/type/param come from it."""

    def __init__(self, message, *, body):
        super().__init__(message)
        self.message = message
        self.body = body
        b = body if isinstance(body, dict) else {}
        self.code = b.get("code")
        self.param = b.get("param")
        self.type = b.get("type")


class APIStatusError(APIError):
    def __init__(self, message, *, status_code, headers, body):
        super().__init__(message, body=body)
        self.status_code = status_code
        self.request_id = headers.get("x-request-id")


class APIConnectionError(APIError):
    def __init__(self, message="Connection error."):
        super().__init__(message, body=None)


class BadRequestError(APIStatusError):
    pass


class AuthenticationError(APIStatusError):
    pass


class PermissionDeniedError(APIStatusError):
    pass


class NotFoundError(APIStatusError):
    pass


class ConflictError(APIStatusError):
    pass


class UnprocessableEntityError(APIStatusError):
    pass


class RateLimitError(APIStatusError):
    pass


class InternalServerError(APIStatusError):
    pass


_BY_STATUS = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}

# fields openai-python's models declare as optional: absent in the JSON, they read as None
_OPTIONAL = {
    "content",
    "role",
    "refusal",
    "tool_calls",
    "function_call",
    "audio",
    "annotations",
    "logprobs",
    "finish_reason",
    "usage",
    "system_fingerprint",
    "service_tier",
    "prompt_tokens_details",
    "completion_tokens_details",
}


class _Obj:
    __slots__ = ("_d",)

    def __init__(self, d):
        object.__setattr__(self, "_d", d)

    def __getattr__(self, name):
        d = object.__getattribute__(self, "_d")
        if name in d:
            return _wrap(d[name])
        if name in _OPTIONAL:
            return None
        raise AttributeError(name)

    def __setattr__(self, name, value):
        raise AttributeError("read-only")

    def to_dict(self):
        return object.__getattribute__(self, "_d")

    def __repr__(self):
        return repr(object.__getattribute__(self, "_d"))


def _wrap(v):
    if isinstance(v, dict):
        return _Obj(v)
    if isinstance(v, list):
        return [_wrap(x) for x in v]
    return v


def _status_error(status, headers, text):
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    body = data.get("error", data) if isinstance(data, dict) else text
    cls = _BY_STATUS.get(status, InternalServerError if status >= 500 else APIStatusError)
    return cls(f"Error code: {status} - {data if data is not None else text}", status_code=status, headers=headers, body=body)


class _Stream:
    def __init__(self, response):
        self.response = response

    def __iter__(self):
        with self.response as res:
            for raw in res:
                line = raw.decode("utf-8").rstrip("\r\n")
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data.startswith("[DONE]"):
                    break
                obj = json.loads(data)
                if isinstance(obj, dict) and obj.get("error"):
                    err = obj["error"]
                    msg = err.get("message") if isinstance(err, dict) else None
                    raise APIError(msg or "An error occurred during streaming", body=err)
                yield _wrap(obj)


_CHAT_PARAMS = {
    "model",
    "messages",
    "stream",
    "stream_options",
    "max_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "n",
    "stop",
    "presence_penalty",
    "frequency_penalty",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "response_format",
    "seed",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "user",
    "metadata",
    "reasoning_effort",
}


class _Completions:
    def __init__(self, client):
        self._client = client

    def create(self, *, model, messages, extra_headers=None, extra_body=None, timeout=None, **params):
        unknown = set(params) - _CHAT_PARAMS
        if unknown:
            raise TypeError(f"create() got an unexpected keyword argument {sorted(unknown)[0]!r}")
        body = {"model": model, "messages": messages, **params, **(extra_body or {})}
        stream = params.get("stream") is True
        res = self._client._request("POST", "/chat/completions", body, extra_headers, stream, timeout)
        return _Stream(res) if stream else _wrap(json.loads(res))


class _Chat:
    def __init__(self, client):
        self.completions = _Completions(client)


class _Models:
    def __init__(self, client):
        self._client = client

    def list(self):
        return _wrap(json.loads(self._client._request("GET", "/models", None, None, False, None)))["data"]


class OpenAI:
    def __init__(self, *, api_key=None, base_url=None, max_retries=2, timeout=600.0, default_headers=None):
        self.api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        if not self.api_key:
            raise OpenAIError("The api_key client option must be set")
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1").rstrip("/")
        self.max_retries = max_retries
        self.timeout = timeout
        self.default_headers = default_headers or {}
        self.chat = _Chat(self)
        self.models = _Models(self)

    def _request(self, method, path, body, extra_headers, stream, timeout):
        headers = {
            "Accept": "application/json",
            "Authorization": f"Bearer {self.api_key}",
            "User-Agent": "OpenAI/Python docs-check-stub",
            **self.default_headers,
            **(extra_headers or {}),
        }
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode("utf-8")
        req = urllib.request.Request(self.base_url + path, data=data, headers=headers, method=method)
        try:
            res = urllib.request.urlopen(req, timeout=timeout or self.timeout)
        except urllib.error.HTTPError as e:
            raise _status_error(e.code, e.headers, e.read().decode("utf-8", "replace")) from None
        except urllib.error.URLError as e:
            raise APIConnectionError(str(e.reason)) from None
        if stream:
            return res
        with res:
            return res.read().decode("utf-8")

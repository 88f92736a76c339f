"""A small OpenAI-compatible completions server over our own transformers model, for tests.

It answers ``POST /v1/completions`` the way vLLM does for the requests the
``openai-completions`` judge sends: ``prompt`` as one or many lists of token ids (or text),
``echo`` with ``logprobs`` returning every prompt token's log-probability in nats (``None``
for the first), ``max_tokens`` 0 (the prompt only) or more (a seeded continuation, whose
tokens are echoed after the prompt's), ``GET /v1/models`` with ``max_model_len``. The
log-probabilities come from the model's forward pass over the whole prompt, computed by the
in-process backend's own batching code, so a client that aligns tokens correctly reads back
the in-process judge's bits.
"""

from __future__ import annotations

import math
import time
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from xent_envs.judge.batching import bucket_length
from xent_envs.judge.hf import Layout, TransformersJudge
from xent_envs.judge.sampling import Sampling, seeded_generator

LN2 = math.log(2.0)


def completions_app(backend: TransformersJudge, model_id: str = "tiny-gpt2", **misbehave: Any):
    """The app; ``misbehave`` bends one answer for the bad-input tests:
    ``drop_logprob=True`` echoes one log-probability too few, ``nan=True`` sends NaN,
    ``delay=s`` sleeps before answering, ``refuse_zero=True`` refuses ``max_tokens: 0``."""
    app = FastAPI()
    app.state.requests = []

    def error(status, message):
        return JSONResponse(
            {"object": "error", "message": message, "type": "BadRequestError", "code": status},
            status_code=status,
        )

    @app.get("/v1/models")
    def models():
        return {"object": "list", "data": [{"id": model_id, "object": "model",
                                           "max_model_len": backend.max_length}]}  # fmt: skip

    def prompt_logprobs(rows):
        layouts = [Layout(tuple(row), 1) for row in rows]
        out: list[list[float]] = [[] for _ in rows]
        with backend.lm.lock:
            for width, group in backend.plan(layouts):
                assert width == bucket_length(len(layouts[group[0]].row), backend.max_length)
                for index, bits in zip(
                    group, backend.forward_bits([layouts[g] for g in group], width)
                ):
                    out[index] = [-b * LN2 for b in bits]
        return out

    @app.post("/v1/completions")
    def completions(body: dict):
        app.state.requests.append(body)
        if misbehave.get("delay"):
            time.sleep(misbehave["delay"])
        if body.get("model") != model_id:
            return error(404, f"The model `{body.get('model')}` does not exist.")
        prompt = body["prompt"]
        if isinstance(prompt, str) or (prompt and isinstance(prompt[0], int)):
            prompt = [prompt]
        rows = [backend.encode(p) if isinstance(p, str) else list(p) for p in prompt]
        max_tokens = int(body.get("max_tokens", 16))
        if max_tokens == 0 and misbehave.get("refuse_zero"):
            return error(400, "max_tokens must be at least 1, got 0.")
        echo, logprobs = bool(body.get("echo")), body.get("logprobs")
        sampling = Sampling(float(body.get("temperature", 1.0)), max(0, int(body.get("top_k", -1))),
                            float(body.get("top_p", 1.0)))  # fmt: skip
        stops = body.get("stop") or []
        choices = []
        for index, row in enumerate(rows):
            new: list[int] = []
            if max_tokens > 0:
                generator = seeded_generator(int(body.get("seed", 0)))

                def stopped(ids):
                    text = backend.decode(ids)
                    return any(s in text for s in stops)

                new = backend.lm.generate_ids(
                    row, max_tokens, sampling=sampling, generator=generator,
                    end_ids={backend.lm.tokenizer.eos_token_id},
                    min_new_tokens=int(body.get("min_tokens", 0)), stop=stopped if stops else None,
                )  # fmt: skip
            text = backend.decode(new)
            cut = min((text.find(s) for s in stops if s in text), default=-1)
            text = text[:cut] if cut >= 0 else text
            shown = row + new if echo else new
            entry: dict[str, Any] = {"index": index, "text": (backend.decode(row) if echo else "")
                                     + text, "logprobs": None, "finish_reason": "length"}  # fmt: skip
            if logprobs is not None:
                values: list[Any] = [None, *prompt_logprobs([row + new])[0]] if echo else []
                if not echo:
                    values = prompt_logprobs([row + new])[0][len(row) - 1 :]
                if misbehave.get("drop_logprob"):
                    values = values[:-1]
                if misbehave.get("nan"):
                    values[-1] = float("nan")
                entry["logprobs"] = {
                    "tokens": backend.token_strings(shown),
                    "token_logprobs": values,
                    "top_logprobs": [None] * len(values),
                    "text_offset": list(range(len(values))),
                }
            choices.append(entry)
        answer = {"id": "cmpl-test", "object": "text_completion", "created": 0, "model": model_id,
                  "choices": choices,
                  "usage": {"prompt_tokens": sum(map(len, rows)), "completion_tokens": 0}}  # fmt: skip
        if misbehave.get("nan"):
            import json

            from fastapi.responses import Response

            return Response(json.dumps(answer), media_type="application/json")
        return answer

    return app

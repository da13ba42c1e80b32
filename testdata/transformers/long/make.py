# Long-context goldens: tiny random models with RoPE scaling, one forward pass over a long random
# sequence in transformers (float32, highest matmul precision), logits kept at a few positions.
import json, os, sys, traceback, time
import torch
import transformers as T
from safetensors.torch import save_file

out = sys.argv[1]
dev = "cuda" if torch.cuda.is_available() else "cpu"
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
torch.set_float32_matmul_precision("highest")
os.makedirs(out, exist_ok=True)
V = 512
common = dict(vocab_size=V, hidden_size=128, intermediate_size=256, num_hidden_layers=2,
              num_attention_heads=4, num_key_value_heads=2, head_dim=32, max_position_embeddings=131072,
              initializer_range=0.15, bos_token_id=1, eos_token_id=2, pad_token_id=0, tie_word_embeddings=False)
specs = [
  ("llama3-128k", "LlamaConfig", 65536, dict(rms_norm_eps=1e-5, rope_theta=500000.0,
      rope_scaling={"rope_type": "llama3", "factor": 16.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                    "original_max_position_embeddings": 8192})),
  ("linear-128k", "LlamaConfig", 65536, dict(rms_norm_eps=1e-5, rope_theta=10000.0,
      rope_scaling={"rope_type": "linear", "factor": 4.0})),
  ("qwen2-yarn-128k", "Qwen2Config", 65536, dict(rms_norm_eps=1e-6, rope_theta=1000000.0,
      rope_scaling={"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768})),
  ("phi3-longrope-128k", "Phi3Config", 65536, dict(rms_norm_eps=1e-5, rope_theta=10000.0,
      original_max_position_embeddings=4096,
      rope_scaling={"rope_type": "longrope", "type": "longrope",
                    "short_factor": [1.0 + 0.05 * i for i in range(16)],
                    "long_factor": [1.0 + 0.9 * i * i for i in range(16)]})),
  ("gemma3-linear-32k", "Gemma3TextConfig", 16384, dict(rms_norm_eps=1e-6, rope_theta=1000000.0,
      rope_local_base_freq=10000.0, sliding_window=512, sliding_window_pattern=2, query_pre_attn_scalar=32,
      rope_scaling={"rope_type": "linear", "factor": 8.0})),
]
g = torch.Generator().manual_seed(11)
summary = {"transformers": T.__version__, "torch": torch.__version__, "device": dev, "models": {}}
for idx, (name, clsname, n, kw) in enumerate(specs):
    try:
        t0 = time.time()
        c = dict(common); c.update(kw)
        if clsname == "Phi3Config":
            c.pop("head_dim")
        torch.manual_seed(500 + idx)
        config = getattr(T, clsname)(**c)
        model = T.AutoModelForCausalLM.from_config(config, attn_implementation="sdpa", dtype=torch.float32).eval()
        d = os.path.join(out, name)
        model.save_pretrained(d, safe_serialization=True)
        ids = torch.cat([torch.tensor([1]), torch.randint(3, V, (n - 1,), generator=g)]).unsqueeze(0)
        pos = [p for p in [1023, 4095, 16383, 32767, 65535] if p < n]
        model = model.to(dev)
        with torch.no_grad():
            # chunked prefill through the model's own cache (a 64K x 64K attention would not fit)
            try:
                cache = T.DynamicCache(config=config)
            except TypeError:
                cache = T.DynamicCache()
            rows = []
            step = 2048
            for s0 in range(0, n, step):
                chunk = ids[:, s0:s0 + step].to(dev)
                cp = torch.arange(s0, s0 + chunk.shape[1], device=dev)
                o = model.model(input_ids=chunk, past_key_values=cache, use_cache=True, cache_position=cp,
                                position_ids=cp.unsqueeze(0))
                cache = o.past_key_values
                for p in pos:
                    if s0 <= p < s0 + chunk.shape[1]:
                        rows.append(o.last_hidden_state[0, p - s0])
            logits = model.lm_head(torch.stack(rows))
            if getattr(config, "final_logit_softcapping", None):
                cap = config.final_logit_softcapping
                logits = torch.tanh(logits / cap) * cap
            # the same rows through the model's own forward for the shortest prefix, as a self-check
            short = model(ids[:, :pos[0] + 1].to(dev)).logits[0, -1]
        logits = logits.float().cpu()
        selfdiff = float((short.float().cpu() - logits[0]).abs().max())
        save_file({"input_ids": ids[0].to(torch.int32).contiguous(), "positions": torch.tensor(pos, dtype=torch.int32),
                   "logits": logits.contiguous()}, os.path.join(d, "golden.safetensors"))
        summary["models"][name] = {"class": type(model).__name__, "n": n, "positions": pos,
                                   "selfcheck_maxdiff": selfdiff, "seconds": time.time() - t0,
                                   "argmax": logits.argmax(-1).tolist(), "config": model.config.to_dict()}
        print("ok", name, n, selfdiff, round(time.time() - t0, 1), flush=True)
    except Exception as e:
        summary["models"][name] = {"error": repr(e)}
        print("FAIL", name, repr(e), flush=True); traceback.print_exc()
json.dump(summary, open(os.path.join(out, "summary.json"), "w"), indent=1, default=str)

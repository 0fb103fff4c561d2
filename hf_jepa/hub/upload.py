# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""Pushing a saved checkpoint folder to the Hub in one commit, so that
`AutoModel.from_pretrained(repo_id, trust_remote_code=True)` works without hf_jepa.

A checkpoint folder holds the weights (`model.safetensors`), `config.json` with an `auto_map`, the model code
(`configuration_jepa.py`, `modeling_jepa.py`), the processor config, `README.md` (the model card of `cards`),
`training_args.json`, `eval_results.json` and the tensorboard logs under `runs/`; `push_to_hub` uploads all of it.
"""

import shutil
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from huggingface_hub import CommitInfo, HfApi
from huggingface_hub.utils import filter_repo_objects, validate_repo_id

from .cards import write_model_card
from .run_files import is_credential, read_json, read_training_arguments

# All pushes go through one worker, so they reach the Hub in the order they were requested. Python waits for it at
# exit, so a training script's background pushes complete before the process ends.
_PUSH_WORKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hf_jepa_push")


class PushToHubError(RuntimeError):
    """An upload to the Hub failed; the message says which step and why. The local folder is left untouched."""


def _check_checkpoint(output_dir: Path) -> None:
    """Refuses folders that would not load on the Hub without hf_jepa: no config, or model code missing."""
    if not output_dir.is_dir():
        raise ValueError(f"output_dir {str(output_dir)!r} is not a directory.")
    config = read_json(output_dir / "config.json", None)
    if config is None:
        raise ValueError(f"{output_dir} holds no config.json: save the model with save_pretrained before pushing.")
    auto_map = config.get("auto_map")
    if not auto_map:
        raise ValueError(
            f"{output_dir}/config.json has no auto_map, so the model could not load without hf_jepa. Save it with "
            "hf_jepa's save_pretrained (after `import hf_jepa`), which writes the auto_map and the model code."
        )
    modules = {f"{reference.split('.')[0]}.py" for reference in auto_map.values()}
    missing = sorted(module for module in modules if not (output_dir / module).is_file())
    if missing:
        raise ValueError(
            f"{output_dir} lacks the model code {missing} that config.json's auto_map refers to, so the model could "
            "not load without hf_jepa. Save it with hf_jepa's save_pretrained, which copies the code files."
        )


def _check_no_credentials(output_dir: Path) -> None:
    """Refuses to publish a token that a training run wrote into its arguments."""
    training_args = read_training_arguments(output_dir)
    leaked = sorted(key for key, value in training_args.items() if is_credential(key) and value)
    if leaked:
        raise ValueError(
            f"{output_dir / 'training_args.json'} holds a value for {leaked}: pushing it would publish the "
            "credential. Remove it from the file; the Hub token belongs in HF_TOKEN or `hf auth login`."
        )


def upload_to_new_or_existing_repo(
    api: HfApi,
    folder: Path,
    repo_id: str,
    *,
    commit_message: str,
    ignore_patterns: list[str],
    if_failed: str,
    error_type: type[Exception] | None = None,
    **create_options,
) -> CommitInfo:
    """`create_repo(exist_ok=True)` then `upload_folder` in one commit. A failure, whatever it is (HTTP, network,
    disk), raises `error_type` (default `PushToHubError`) naming the step that failed, followed by `if_failed` (what
    the user can do now); the cause stays chained. `create_options` go to `create_repo` (`repo_type`, `private`,
    `space_sdk`, ...)."""
    error_type = error_type or PushToHubError
    repo_type = create_options.get("repo_type")
    kind = "the Space " if repo_type == "space" else ""
    step = f"creating {kind or 'the repository '}{repo_id}"
    try:
        repo_url = api.create_repo(repo_id, exist_ok=True, **create_options)
        step = f"uploading {folder} to {kind}{repo_url.repo_id}"
        return api.upload_folder(
            repo_id=repo_url.repo_id,
            repo_type=repo_type,
            folder_path=folder,
            commit_message=commit_message,
            ignore_patterns=ignore_patterns,
        )
    except Exception as error:
        raise error_type(
            f"Push to {api.endpoint} failed while {step}: {type(error).__name__}: {error}\n{if_failed}"
        ) from error


def _snapshot(output_dir: Path, ignore_patterns: list[str]) -> Path:
    """Copies the files to push into a temporary folder, so that training can overwrite them during the upload."""
    snapshot = Path(tempfile.mkdtemp(prefix="hf_jepa_push_"))
    files = [path.relative_to(output_dir).as_posix() for path in output_dir.rglob("*") if path.is_file()]
    for relative in filter_repo_objects(files, ignore_patterns=ignore_patterns):
        (snapshot / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(output_dir / relative, snapshot / relative)
    return snapshot


def _restore(path: Path, content: bytes | None) -> None:
    """Puts back a file as it was: `content`, or no file when it is `None`."""
    if content is None:
        path.unlink(missing_ok=True)
    else:
        path.write_bytes(content)


def _upload_checkpoint(
    api: HfApi,
    folder: Path,
    output_dir: Path,
    repo_id: str,
    *,
    private: bool,
    commit_message: str,
    patterns: list[str],
) -> CommitInfo:
    """Uploads `folder`, the checkpoint folder `output_dir` or a snapshot of it, in one commit, then removes the
    snapshot; a failure says that the push can be run again."""
    try:
        return upload_to_new_or_existing_repo(
            api,
            folder,
            repo_id,
            private=private,
            commit_message=commit_message,
            ignore_patterns=patterns,
            if_failed=f"The local folder {output_dir} is unchanged. Run the same push again to resume: files that "
            "already reached the Hub are not uploaded again.",
        )
    finally:
        if folder != output_dir:
            shutil.rmtree(folder, ignore_errors=True)


def push_to_hub(
    output_dir: str | Path,
    repo_id: str,
    *,
    private: bool = False,
    token: str | None = None,
    commit_message: str = "Upload JEPA model with hf_jepa",
    run_as_future: bool = False,
    ignore_patterns: list[str] | None = None,
    update_model_card: bool = True,
) -> CommitInfo | Future:
    """Uploads a saved checkpoint folder to the Hub repository `repo_id` (created if needed) in one commit.

    Everything in the folder goes: weights, `config.json` with `auto_map`, the model code, the processor config, the
    model card, training arguments and results, `runs/` (tensorboard logs) - except resumable training states
    (`checkpoint-*`, and `.partial-checkpoint-*` while one is written), `*.pyc` files and `ignore_patterns`. With
    `update_model_card`, the card is first re-rendered (see `write_model_card`) so that its examples load `repo_id`:
    in the folder, where a failed upload puts the previous card back, or in the copy that a background push uploads.
    `token` defaults to `HF_TOKEN` or the token saved by `hf auth login`; a folder whose `training_args.json` holds a
    token is refused rather than published.

    A failed upload raises `PushToHubError` saying which step failed; the local folder is left as it was, and calling
    `push_to_hub` again resumes (large files already uploaded are skipped, unchanged files are not committed again).
    With `run_as_future=True` the files are copied aside and uploaded in a background thread; the returned
    `concurrent.futures.Future` gives the `CommitInfo` or raises `PushToHubError`. Pushes run one after the other in
    the order they were requested: a blocking push waits for the background pushes requested before it.
    """
    output_dir = Path(output_dir)
    validate_repo_id(repo_id)
    _check_checkpoint(output_dir)
    _check_no_credentials(output_dir)
    patterns = ["checkpoint-*", ".partial-checkpoint-*", "*.pyc", *(ignore_patterns or [])]
    api = HfApi(token=token)
    folder = _snapshot(output_dir, patterns) if run_as_future else output_dir
    card = folder / "README.md"
    previous_card = card.read_bytes() if card.is_file() else None
    if update_model_card:
        write_model_card(folder, repo_id=repo_id)

    def upload() -> CommitInfo:
        try:
            return _upload_checkpoint(
                api, folder, output_dir, repo_id, private=private, commit_message=commit_message, patterns=patterns
            )
        except BaseException:
            if folder == output_dir and update_model_card:  # the folder keeps the card it had
                _restore(card, previous_card)
            raise

    # Every push goes through the worker, so a blocking push (the final one) also lands after the pending
    # background pushes (the checkpoints before it).
    pushed = _PUSH_WORKER.submit(upload)
    return pushed if run_as_future else pushed.result()


__all__ = ["PushToHubError", "push_to_hub", "upload_to_new_or_existing_repo"]

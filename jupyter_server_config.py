# Jupyter server configuration used by `make lab` (jupyter lab --config=jupyter_server_config.py).
# Templates in notebooks/ are saved without outputs and machine-specific metadata, whatever JupyterLab sends
# (Ctrl+S or autosave): a run by hand on the confidential survey file never reaches a tracked file.
# See src/vsr_analysis/build/clean_notebook.py.
c = get_config()  # noqa: F821 - provided by Jupyter when it loads this file
c.FileContentsManager.pre_save_hook = "vsr_analysis.build.clean_notebook.pre_save_hook"
c.ContentsManager.pre_save_hook = "vsr_analysis.build.clean_notebook.pre_save_hook"

"""The bare Flask hello-world every read-path figure is compared with (same gunicorn settings)."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"

#!/bin/sh
# Instant scripted reviewer: approves (the verdict is the last line).
echo "Looks fine."
echo "VERDICT: APPROVED"

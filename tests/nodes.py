"""A node of the platform as the tests act through the API: a token, its submissions answered by
the agreement service, its reads of reporting (tests/integration/test_verification.py,
test_reminders.py and the workspace's browser test share it)."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

import httpx
from conftest import Platform


async def until(check: Any, timeout: float = 30) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while not (result := await check()):
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.2)
    return result


class Node:
    """A submitting node or reader with its token."""

    def __init__(self, platform: Platform, token: str) -> None:
        self.platform, self.headers = platform, {"Authorization": f"Bearer {token}"}

    async def submit(self, body: dict[str, Any]) -> httpx.Response:
        async with httpx.AsyncClient(timeout=30) as client:
            return await client.post(f"{self.platform.url['intake']}/v1/submissions", json=body,
                                     headers=self.headers | {"Idempotency-Key": str(uuid4())})

    async def outcome(self, body: dict[str, Any]) -> dict[str, Any]:
        """Submit and wait for the agreement service's answer (applied or rejected)."""
        response = await self.submit(body)
        assert response.status_code == 202, response.text
        url = f"{self.platform.url['intake']}/v1/submissions/{response.json()['id']}"

        async def answered() -> dict[str, Any] | None:
            async with httpx.AsyncClient(timeout=30) as client:
                status = (await client.get(url, headers=self.headers)).json()
            return status if status["status"] in ("applied", "rejected") else None

        return {**await until(answered), "id": response.json()["id"]}

    async def read(self, path: str, **params: str) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.get(f"{self.platform.url['reporting']}{path}", params=params, headers=self.headers)
        assert response.status_code == 200, response.text
        return dict(response.json())


async def verification_of(reader: Node, agreement_id: str, state: str) -> dict[str, Any]:
    """The agreement's verification once reporting shows it in `state`."""
    async def shown() -> dict[str, Any] | None:
        found = (await reader.read(f"/v1/agreements/{agreement_id}"))["terms"]["verification"]
        return found if found["state"] == state else None

    return dict(await until(shown))
